/* The two front ends as the session drives them (lc_front): the TUI (ui/)
 * and headless mode (headless/), equals. Wiring: it only connects each
 * module's public face to session.c. */
#ifndef LC_FRONT_H
#define LC_FRONT_H

#include "session.h"
#include "ui/ui.h"

typedef struct lc_front_opts {
    bool headless;
    const char *demo_notice; /* TUI: said again where it is seen (stderr is hidden) */
    bool ask_task;           /* TUI: no task given, the input line asks for it */
    bool review;             /* TUI: --review, the Diffs pane without an agent */
} lc_front_opts;

/* Opens the front end for session s into *fe (the TUI starts curses here).
 * Close with lc_front_close once lc_session_run returned. */
int lc_front_open(lc_session *s, const lc_front_opts *o, lc_front *fe, lc_err *err);
void lc_front_close(lc_front *fe);

/* The TUI's hooks into the session: apply and undo with their records, and
 * readying the sandbox behind its spinner. s is borrowed. */
lc_ui_writer lc_front_ui_writer(lc_session *s);
int lc_front_ui_prepare(void *session, const lc_ui_progress *p, const atomic_bool *cancel, lc_err *err);

#endif
