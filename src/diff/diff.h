/* diff: what the agent changed in the shadow copy, shown exactly, and only what
 * the user picks brought back to the real directory. Snapshot and change
 * detection, per-file hunks (libgit2), selective apply with three-way
 * protection, revert in the shadow, an undo journal that survives a restart,
 * patch export and summary. See docs/diff.md for the design and safety rules. */
#ifndef LC_DIFF_H
#define LC_DIFF_H

#include "core/core.h"

/* Initializes libgit2 once per process. main() calls it before any thread
 * starts, and lc_diff_global_shutdown() at exit; tests and benchmarks call
 * them too. No other lc_diff function may run before it. */
int lc_diff_global_init(lc_err *err);
void lc_diff_global_shutdown(void);

/* Records the metadata (type, size, mtime, ctime, inode, mode) of every path of
 * orig_root (`.git` excluded) in <state_dir>/diff/snapshot. Call it right
 * before the shadow copy is made; lc_diff_open takes one itself when none
 * exists. No file content is copied here (see docs/diff.md). */
int lc_diff_snapshot(const char *orig_root, const char *state_dir, lc_err *err);

typedef struct lc_diff_opts {
    size_t max_diff_bytes; /* larger files are not split into hunks (whole file only) */
    size_t max_file_bytes; /* larger files are reported but never read or applied */
    int context_lines;
} lc_diff_opts;
#define LC_DIFF_OPTS_INIT {(size_t)4 << 20, (size_t)512 << 20, 3}

/* The change set of one session. Not thread-safe: one thread at a time (the
 * caller serializes the agent's refresh and the review's apply). */
typedef struct lc_diff lc_diff;

/* Opens the change set of a session: the original directory (--dir), its shadow
 * copy, and the session's state directory (bases and journal live in
 * <state_dir>/diff/). Loads what an earlier run left there, so undo works after
 * a restart. Call lc_diff_refresh before reading files. *out is freed with
 * lc_diff_free. opts may be NULL (defaults). */
int lc_diff_open(const char *orig_root, const char *shadow_root, const char *state_dir,
                 const lc_diff_opts *opts, lc_diff **out, lc_err *err);
void lc_diff_free(lc_diff *d);

/* Walks the shadow and recomputes the changed files, reading only files whose
 * metadata moved. Clears the selection. Every lc_diff_file pointer obtained
 * before is invalid afterwards (so are they after apply, revert and undo). */
int lc_diff_refresh(lc_diff *d, lc_err *err);

/* ---- the model the review draws (read-only views owned by the lc_diff) ---- */

typedef enum lc_diff_status {
    LC_DIFF_ADDED = 'A',
    LC_DIFF_MODIFIED = 'M',
    LC_DIFF_DELETED = 'D',
    LC_DIFF_TYPECHANGE = 'T', /* file <-> symlink */
} lc_diff_status;

typedef struct lc_diff_line {
    char origin;        /* ' ' context, '+' added, '-' removed */
    int old_lineno;     /* -1 when the line is not on the old side */
    int new_lineno;     /* -1 when the line is not on the new side */
    const char *text;   /* raw bytes without the final '\n' ('\r' kept); untrusted: sanitize to draw */
    size_t len;
    bool no_newline;    /* last line of its side without '\n': draw "\ No newline at end of file" */
} lc_diff_line;

typedef struct lc_diff_hunk {
    int old_start, old_lines, new_start, new_lines;
    const char *header; /* "@@ -1,3 +1,4 @@ context", NUL-terminated, no '\n'; untrusted */
    const lc_diff_line *lines;
    size_t nlines;
} lc_diff_hunk;

typedef struct lc_diff_file {
    const char *path;     /* relative to both roots; raw bytes (maybe not UTF-8): sanitize to draw */
    lc_diff_status status;
    bool binary;          /* whole file only */
    bool large;           /* over max_diff_bytes (or max_file_bytes): summarized, whole file only */
    bool too_large;       /* over max_file_bytes: shown, never applied */
    bool symlink;         /* either side is a symlink (its text is the link target) */
    bool whole_only;      /* no hunk selection: A, D, T, binary, large, symlink, mode only */
    bool base_lost;       /* the user changed the original before its base was kept: the old
                           * side is the original as it is now, and apply and revert refuse it */
    bool reserved;        /* a name git reserves on some filesystem (".GIT", "git~1", ".git.",
                           * a symlinked .gitmodules...): shown, never applied, reverted or
                           * exported (docs/diff.md, "Names litecode never writes") */
    unsigned old_mode;    /* permission bits (0777 for a symlink), 0 when absent */
    unsigned new_mode;
    uint64_t old_size, new_size;
    int added, removed;   /* lines; 0 for binary and large files */
    const lc_diff_hunk *hunks;
    size_t nhunks;
} lc_diff_file;

size_t lc_diff_count(const lc_diff *d);
/* NULL when i is out of range. Valid until the next refresh, apply, revert, undo or free. */
const lc_diff_file *lc_diff_file_at(const lc_diff *d, size_t i);

/* ---- selection ------------------------------------------------------------ */

#define LC_DIFF_WHOLE ((size_t)-1)
/* Selects (on) or unselects hunk `hunk` of file `file`, or the whole file with
 * LC_DIFF_WHOLE. For whole_only files any hunk index means the whole file. A
 * file's mode change goes with it as soon as anything of it is selected. */
int lc_diff_select(lc_diff *d, size_t file, size_t hunk, bool on, lc_err *err);
bool lc_diff_selected(const lc_diff *d, size_t file, size_t hunk);
void lc_diff_select_all(lc_diff *d, bool on);
/* Selects (on) or unselects one changed line: `line` indexes the hunk's
 * lines (context lines cannot be selected). A selection may be any set of
 * changed lines; what apply writes is what `git apply` of the equivalent
 * patch gives (an unselected removed line stays as context, an unselected
 * added line is left out; a kept last line without its newline that gets
 * added lines after it gets its newline, as the equivalent patch removes it
 * and adds it back). lc_diff_selected(file, hunk) is true when every
 * changed line of the hunk is selected. */
int lc_diff_select_line(lc_diff *d, size_t file, size_t hunk, size_t line, bool on, lc_err *err);
bool lc_diff_line_selected(const lc_diff *d, size_t file, size_t hunk, size_t line);
/* How many changed lines of a hunk are selected (and, in *changed, how many
 * it has): 0 < n < *changed is a partly selected hunk. */
size_t lc_diff_hunk_selection(const lc_diff *d, size_t file, size_t hunk, size_t *changed);
/* The same for a whole file (for the file list's counts): selected changed
 * lines of all its hunks; a whole-only file counts as one item. */
size_t lc_diff_file_selection(const lc_diff *d, size_t file, size_t *changed);

/* Splits a hunk into its smallest runs of changes (`git add -p`'s `s`): each
 * run becomes a hunk of its own, the context between two runs shared out
 * between them, line selections kept. *pieces (may be NULL) is how many
 * hunks it became (1: nothing to split). Indices of later hunks shift. The
 * split lasts until the file's diff is made again (the agent, an apply, a
 * revert or an undo changed it). */
int lc_diff_split(lc_diff *d, size_t file, size_t hunk, size_t *pieces, lc_err *err);

/* "All like this": selects (on) or unselects every hunk, in every file, whose
 * change is the same as this one's: the same removed and added lines, byte
 * for byte, whatever their context and line numbers. Returns how many hunks
 * (this one included); 0 for a whole-only file or a bad index. */
size_t lc_diff_select_like(lc_diff *d, size_t file, size_t hunk, bool on);

/* Which files a bulk pick covers: pattern is an fnmatch(3) glob on the path
 * ('*' also crosses '/'; a pattern without '/' also matches the file name in
 * any directory), statuses a string of status letters ("AM"); NULL or ""
 * matches everything. */
typedef struct lc_diff_filter {
    const char *pattern;
    const char *statuses;
} lc_diff_filter;
typedef enum lc_diff_bulk { LC_DIFF_BULK_ALL, LC_DIFF_BULK_NONE, LC_DIFF_BULK_INVERT } lc_diff_bulk;
bool lc_diff_match(const lc_diff *d, size_t file, const lc_diff_filter *flt);
/* Selects all, none, or inverts (line by line) the files flt matches (flt
 * may be NULL: every file). Returns how many files matched. */
size_t lc_diff_select_bulk(lc_diff *d, const lc_diff_filter *flt, lc_diff_bulk op);

/* The content id of an item as the review shows it: for a hunk, its lines
 * (not its line numbers, so a hunk that only moved keeps its id); for
 * LC_DIFF_WHOLE (or any hunk of a whole_only file), both whole sides, kinds
 * and modes. A refresh clears the selection; a front end that carries a
 * selection over must carry it by (path, id), so that an item the agent
 * changed after the user picked it is never applied unseen. id is "" when
 * the item does not exist. */
void lc_diff_item_id(const lc_diff *d, size_t file, size_t hunk, char id[41]);
/* "path<TAB>id\n" for each changed file (lc_diff_item_id of the whole
 * file), or NULL when nothing changed (d may be NULL): what approval's
 * trust-but-verify compares, so a change that keeps the summary's counts is
 * still seen. Caller frees. */
char *lc_diff_content_ids(const lc_diff *d);

/* ---- apply, revert, undo ---------------------------------------------------- */

typedef enum lc_diff_outcome {
    LC_DIFF_APPLIED = 0, /* written exactly as in the shadow (for the chosen hunks) */
    LC_DIFF_MERGED,      /* the user had edited the file; a clean three-way merge was written */
    LC_DIFF_UNCHANGED,   /* the original already had that content */
    LC_DIFF_CONFLICT,    /* the user's edit and the agent's collide: file left untouched */
    LC_DIFF_REFUSED,     /* a safety rule refused it (symlink, special file, escape...): untouched */
    LC_DIFF_FAILED,      /* I/O error (full disk, permission): original left intact */
    LC_DIFF_REVERTED,    /* revert: the shadow was changed back */
    LC_DIFF_RESTORED,    /* undo: the original is back to what it was before the apply */
} lc_diff_outcome;

const char *lc_diff_outcome_name(lc_diff_outcome o);

typedef struct lc_diff_result {
    char *path;          /* owned by the report */
    lc_diff_outcome outcome;
    char *message;       /* owned by the report; what happened and what the user can do */
} lc_diff_result;

/* Filled by apply, revert and undo; the caller owns it, usually on the stack,
 * and frees it with lc_diff_report_free. */
typedef struct lc_diff_report {
    lc_diff_result *v;
    size_t n, cap;
} lc_diff_report;
#define LC_DIFF_REPORT_INIT {NULL, 0, 0}
void lc_diff_report_free(lc_diff_report *rep);

/* Applies the selection to the original directory, file by file (one file's
 * conflict does not stop the others), journals what it replaced, then
 * refreshes: applied hunks leave the review, the rest stay with new line
 * numbers. Returns LC_OK when every selected file was applied or merged,
 * otherwise the worst status (LC_EIO, LC_ESECURITY, LC_ECONFLICT) with a
 * summary in err; details per file in rep (may be NULL). */
int lc_diff_apply(lc_diff *d, lc_diff_report *rep, lc_err *err);

/* Changes the selected hunks back in the shadow (to their base), then
 * refreshes. rep lists per file which lines were reverted, worded for the
 * agent's next observation. */
int lc_diff_revert(lc_diff *d, lc_diff_report *rep, lc_err *err);

/* Number of applies that can still be undone (newest first). */
size_t lc_diff_undo_depth(const lc_diff *d);
/* Undoes the newest apply: every file it wrote gets its earlier bytes and mode
 * back (files it created are removed). Refused as a whole (LC_ECONFLICT, files
 * listed) if the user edited one of those files since. Then refreshes. */
int lc_diff_undo(lc_diff *d, lc_diff_report *rep, lc_err *err);

/* Redo: an undo keeps what it took back (<state>/diff/journal/NNNNNN.redo);
 * redo writes it again, newest first, as a new undoable apply (journaled,
 * reported and logged like one; call lc_diff_logged after logging it). Each
 * file must still be as the undo left it (or already as the apply had made
 * it); otherwise nothing is redone (LC_ECONFLICT, files listed). A new apply
 * forgets every redo. Then refreshes. */
size_t lc_diff_redo_depth(const lc_diff *d);
int lc_diff_redo(lc_diff *d, lc_diff_report *rep, lc_err *err);

/* ---- edit before applying (`git add -p`'s `e`) ------------------------------ */

/* Appends the text a user edits for hunk `hunk` of `file`: '#' lines saying
 * how to edit, then the hunk as a patch ("@@" header, ' ', '-', '+' lines,
 * "\ No newline at end of file" markers). */
int lc_diff_hunk_text(const lc_diff *d, size_t file, size_t hunk, lc_buf *out, lc_err *err);
/* Applies a user-edited hunk text (as from lc_diff_hunk_text, saved from
 * $EDITOR): '#' lines are dropped; ' ' and '-' lines must still be the
 * hunk's old lines in order (turn a '-' into ' ' to keep a line, delete a
 * '+' line to leave it out, add '+' lines at will; the header's counts are
 * not trusted). The original gets the base with this hunk replaced by the
 * user's version (journaled, undoable, merged if the user edited the file,
 * like lc_diff_apply); then the shadow's hunk gets the same lines, so the
 * agent works on the user's version (refused, LC_ECONFLICT, if the agent
 * changed the file since the review). Then refreshes. note (may be NULL)
 * gets the words for the model's next observation: that the user applied
 * it with edits, and a diff from the agent's lines to the user's. An edit
 * that changes nothing of the agent's hunk is a plain apply of it. */
int lc_diff_apply_edited(lc_diff *d, size_t file, size_t hunk, const char *text, size_t len,
                         lc_diff_report *rep, lc_buf *note, lc_err *err);

/* What lc_diff_open found of an apply that a crash (kill, power loss) cut
 * short in an earlier run, before or right after its writes: one result per
 * file it meant to write, APPLIED ("written before the apply was
 * interrupted": on disk, undoable, not yet in any session log), UNCHANGED
 * (not written) or CONFLICT (changed since). Its
 * temporary files are already removed (*temps_removed says how many; may be
 * NULL). Empty when there was none. Owned by the lc_diff, valid until free. */
const lc_diff_report *lc_diff_recovered(const lc_diff *d, size_t *temps_removed);

/* The caller says its audit log now holds every file written by the applies
 * so far (those lc_diff_apply reported and those lc_diff_recovered
 * reported). Until it does, a later lc_diff_open reports the files of an
 * apply whose records a crash may have kept out of the log (APPLIED, "written
 * by an apply that litecode was killed right after..."). */
int lc_diff_logged(lc_diff *d, lc_err *err);
/* Whether the session state in state_dir holds an apply that a crash cut
 * short (or whose log records it may lack): opening that state finishes it.
 * Reads the journal's headers only. */
bool lc_diff_pending(const char *state_dir);

/* ---- export ------------------------------------------------------------------- */

/* Appends a git-style patch (as `git diff` prints it, applicable with
 * `git apply`) of every change, or of the selection only: a partly selected
 * hunk as the patch of its selected lines, the new side's line numbers
 * recomputed from what is exported. Binary and large files as git prints
 * them with --binary (full index line, "GIT binary patch"); files over
 * max_file_bytes and reserved names are left out with a "# litecode: left
 * out" line before the first diff. */
void lc_diff_export_patch(const lc_diff *d, bool selected_only, lc_buf *out);
/* Appends a short summary: one line per file ("M  path  +3 -1") and a total
 * ("3 files changed, 10 insertions(+), 2 deletions(-)"). Paths sanitized. */
void lc_diff_summary(const lc_diff *d, lc_buf *out);

#endif
