/* Replays every file in fuzz/corpus/NAME and fuzz/regressions/NAME through a libFuzzer target's entry point
 * (fuzz/fuzz_NAME.c linked in), so the normal test suite (gcc, ASan+UBSan in CI) re-runs every seed and
 * every input that once crashed, without clang. Usage: fuzz_replay NAME. A crash, a sanitizer report or
 * an abort() in the target fails the test; so does finding no input at all. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[2048];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        FILE *fp = fopen(path, "rb");
        uint8_t *buf = malloc((size_t)sb.st_size + 1);
        if (!fp || !buf || fread(buf, 1, (size_t)sb.st_size, fp) != (size_t)sb.st_size) {
            fprintf(stderr, "FAIL: cannot read %s\n", path);
            exit(1);
        }
        fclose(fp);
        printf("%s\n", path);
        fflush(stdout); /* the last name printed is the input that crashed */
        LLVMFuzzerTestOneInput(buf, (size_t)sb.st_size);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_replay NAME\n");
        return 2;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", BB_SOURCE_DIR, argv[1]);
    int seeds = replay_dir(dir);
    snprintf(dir, sizeof dir, "%s/fuzz/regressions/%s", BB_SOURCE_DIR, argv[1]);
    int regressions = replay_dir(dir);
    printf("%s: %d seeds, %d regression inputs replayed\n", argv[1], seeds, regressions);
    /* The targets keep their scratch files in /dev/shm named by pid. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf /dev/shm/bb_fuzz_*_%d /dev/shm/bb_fuzz_*_%d.*", (int)getpid(), (int)getpid());
    if (system(cmd) != 0) fprintf(stderr, "warning: %s failed\n", cmd);
    if (seeds + regressions == 0) {
        fprintf(stderr, "FAIL: no inputs for %s\n", argv[1]);
        return 1;
    }
    return 0;
}
