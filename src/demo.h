/* The bundled demo, for when no model is configured: the recorded session in
 * examples/demo replayed (replay:) on a fresh copy of its example project, so
 * applying its fix never touches the bundled files; the code still runs for
 * real in the sandbox. Part of the binary's wiring, like session.h. */
#ifndef LC_DEMO_H
#define LC_DEMO_H

#include "config/config.h"

typedef struct lc_demo {
    char *dir;    /* the project it runs on: a fresh copy, or the user's own copy */
    char *task;   /* the recorded task */
    char *notice; /* what the user is told: the demo, what was set aside, how to use a real model */
} lc_demo;

/* Sets model.name to the replayed recording and fills d. The recording only
 * fits its own project and task: a dir that is not an unchanged copy of the
 * project, and a task, are set aside and the notice says so; a dir that does
 * not exist is an error, as it is with a model. */
int lc_demo_setup(lc_config *cfg, const char *dir, const char *task, lc_demo *d, lc_err *err);
void lc_demo_free(lc_demo *d);

#endif
