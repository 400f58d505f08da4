/* Test support for diff/: a throwaway original, shadow and state directory
 * per test (cmocka state), and small file helpers. Shared by the diff unit
 * tests so each states only its cases. */
#ifndef LC_DIFF_FIXTURE_H
#define LC_DIFF_FIXTURE_H

#include <stddef.h>

#include "diff/diff.h"

typedef struct fx {
    char *root, *orig, *shadow, *state;
    lc_diff *d;
} fx;

char *dfx_P(const char *a, const char *b);
void dfx_run(const char *const *argv);
void dfx_wrb(const char *root, const char *rel, const void *data, size_t len, int mode);
void dfx_wr(const char *root, const char *rel, const char *text);
void dfx_editb(const char *root, const char *rel, const char *text, size_t len);
void dfx_edit(const char *root, const char *rel, const char *text);
char *dfx_rd(const char *root, const char *rel);
void dfx_assert_file(const char *root, const char *rel, const char *want);
int dfx_mode_of(const char *root, const char *rel);
int dfx_setup(void **state);
int dfx_teardown(void **state);
void dfx_start(fx *f);
void dfx_refresh(fx *f);
const lc_diff_file *dfx_find(fx *f, const char *path, size_t *idx);
void dfx_sel(fx *f, const char *path, size_t hunk);
const lc_diff_result *dfx_outcome(const lc_diff_report *rep, const char *path);
/* An apply of a.txt..d.txt killed among its renames: a and b written, a
 * temporary file next to c, c and d old, the journal's intent still open
 * (a child killed by SIGXFSZ while it staged c, then a's and b's staged
 * files renamed as the apply does next). f->d is the parent's, as it was. */
void dfx_crash_in_apply(fx *f);
/* In a child whose writes stop at 4 KiB (SIGXFSZ kills it there): an apply
 * of everything (apply) or an undo of the newest apply. Checks it died so. */
void dfx_killed_at_4k(fx *f, bool apply);

#endif
