/* app.h — the composition root: the table of every subcommand. app/ is the only place that names the
 * JSON subcommands (cli/), the benchmarks (bench/) and the workbench (workbench/) together. */
#ifndef BB_APP_H
#define BB_APP_H

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name; returns the exit status */
    const char *summary;
} app_cmd;

/* The subcommand table (terminated by a zero entry). */
extern const app_cmd app_commands[];

#endif
