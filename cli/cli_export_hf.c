/* bertbench train ... --export-hf DIR: the run written out for Hugging Face Trainer + accelerate
 * (engine/train/export_hf.h) instead of trained here. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_train.h"
#include "train_opts.h"
#include "export_hf.h"

int cli_train_export(const train_options *o, int argc, char **argv) {
    const char *cmd = "train", *dir = o->export_hf;
    char err[1024];
    int rc = train_export_hf(o, dir, argc, argv, err, sizeof err);
    if (rc != BB_OK) return cli_fail(cmd, "%s", err);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "export_hf", dir);
    cJSON_AddStringToObject(j, "task", train_task_name(o->task));
    cJSON *files = cJSON_AddArrayToObject(j, "files");
    const char *names[3] = {"train_hf.py", "accelerate_config.yaml", "README.md"};
    for (int i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        cJSON_AddItemToArray(files, cJSON_CreateString(p));
    }
    char out[4200];
    snprintf(out, sizeof out, "%s%s", o->out_dir ? o->out_dir : dir, o->out_dir ? "" : "/output");
    cJSON_AddStringToObject(j, "output_dir", out);
    char *s = cJSON_PrintUnformatted(j);
    if (s) puts(s);
    free(s);
    cJSON_Delete(j);
    return 0;
}
