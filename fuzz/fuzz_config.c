/* libFuzzer target: config.json parsing (sizes, activation, label maps) and saving the result. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "bb_err.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    bert_config cfg;
    if (bert_config_parse(&cfg, (const char *)data, size, "fuzz/config.json", err, sizeof err) != BB_OK) return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/bb_fuzz_config_%d.json", (int)getpid());
    bert_config reloaded;
    if (bert_config_save(&cfg, path, err, sizeof err) == BB_OK &&
        bert_config_load(&reloaded, path, err, sizeof err) == BB_OK)
        bert_config_free(&reloaded);
    bert_config_free(&cfg);
    return 0;
}
