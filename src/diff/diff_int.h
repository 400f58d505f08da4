/* Internal to src/diff: the pieces shared by the module's files. Nothing
 * outside src/diff includes this; diff.h is the module's face. */
#ifndef LC_DIFF_INT_H
#define LC_DIFF_INT_H

#include "diff/diff.h"

/* Kinds of one side of a path. */
#define DK_ABSENT '-'
#define DK_FILE 'f'
#define DK_LINK 'l'
#define DK_LOST 'x' /* base unknown: the user changed the original before it was kept */

/* The state of one path on one side: kind, permission bits, content id. */
typedef struct dstate {
    char kind;
    unsigned mode;
    char oid[41]; /* hex SHA-1 (git blob id) of the content in objects/, "" if none */
} dstate;

/* Metadata of one path of the original when the snapshot was taken. */
typedef struct snap_ent {
    char *path;
    char type; /* 'f' file, 'l' symlink, 'd' directory, 'o' other */
    unsigned mode;
    uint64_t size, ino;
    int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
} snap_ent;

typedef struct base_ent {
    char *path;
    dstate st;
} base_ent;

/* One changed file: the public view plus what apply and revert need. */
typedef struct dfile {
    lc_diff_file pub;
    char *path;
    dstate base;     /* the old side (kind DK_LOST: old is the original as it is now) */
    char new_kind;   /* DK_FILE, DK_LINK or DK_ABSENT */
    unsigned new_mode_full;
    struct stat sst; /* the shadow file's lstat when examined: unchanged means reusable */
    bool unloaded;   /* large file: old and new were dropped after the review was made */
    char new_oid[41];/* then: the id of the new side, checked when it is read again */
    lc_buf old, new; /* contents (link targets for symlinks); empty when too large */
    lc_diff_hunk *hunks;
    lc_diff_line *lines;
    char **headers;
    size_t nlines;   /* lines of all hunks (f->lines) */
    size_t hcap;     /* capacity of hunks and headers (a split adds hunks) */
    bool whole_sel;
    bool *line_sel;  /* per line of f->lines; only changed lines are ever set; written only
                      * through dfi_sel_* (select.c), which keep the counts below */
    /* Selection counts, kept with every write of line_sel so that the review's
     * marks ("[x]", "[~]", "3 of 5 lines") cost O(1) per row and frame, not
     * O(lines) (a 100,000-line hunk is drawn on every page down). */
    size_t nchanged, nsel; /* changed lines of all hunks; of them selected */
    size_t *hchanged, *hsel; /* the same per hunk (capacity hcap) */
    size_t nfull;    /* hunks with at least one changed line, all of them selected */
    lc_buf *edited;  /* lc_diff_apply_edited: the result to write instead of a splice */
} dfile;

struct lc_diff {
    char *orig, *shadow, *dir, *objdir, *jdir;
    lc_diff_opts opts;
    snap_ent *snap;
    size_t nsnap;
    base_ent *bases;
    size_t nbases, capbases;
    dfile *files;
    size_t nfiles;
    unsigned long jnext;    /* number of the next journal entry */
    unsigned long *undo;    /* committed journal entries, oldest first */
    size_t nundo;
    lc_diff_report recovered; /* what lc_diff_open found of an interrupted apply */
    size_t temps_removed;
    unsigned long *unlogged;  /* done entries the caller has not said it logged */
    size_t nunlogged;
    unsigned long *undone;    /* <seq>.undone files the caller has not said it logged */
    size_t nundone;
    unsigned long *redo;      /* <seq>.redo entries, oldest first; the newest is redone first */
    size_t nredo;
    lc_strv *stage;           /* set by an apply: state files (journal, bases) are staged here
                               * unflushed instead of written and fsynced (dfi_state_write) */
};

/* ---- paths in state files: bytes < 0x21, '%' and 0x7f as %XX ---------------- */
void dfi_path_escape(const char *path, lc_buf *out);
char *dfi_path_unescape(const char *s, size_t len); /* NULL if malformed; caller frees */
/* A path that can be named in the state files: relative, no `..`, `.` or empty
 * component, no exact `.git` component. Says nothing about writing it. */
bool dfi_path_plain(const char *rel);
/* ---- which paths may be written (gitpath.c) ----------------------------------- */
/* NULL when rel may be written into a project (as a symlink with link), else
 * why not: every path git's verify_path refuses with core.protectNTFS and
 * core.protectHFS, on every filesystem, and more (see gitpath.c). */
const char *dfi_path_why(const char *rel, bool link);
bool dfi_path_ok(const char *rel); /* dfi_path_why(rel, false) == NULL */
/* NULL when litecode may write a symlink with this target text: relative,
 * no ".." component, nothing git reserves; else why not. */
const char *dfi_link_target_why(const char *target, size_t len);

/* ---- symlinks against the tree as it will be (links.c) ------------------------ */
/* One write an apply is about to make. */
typedef struct dplanned {
    const char *path;   /* the array is sorted by path */
    char kind;          /* DK_FILE, DK_LINK or DK_ABSENT */
    const char *target; /* DK_LINK: the link text (len bytes) */
    size_t len;
    char *refused;      /* set (owned, caller frees) when this link must not be written */
} dplanned;
/* Refuses (sets refused on) every planned link whose target, followed
 * component by component through the tree as it will be after the apply
 * (the original's files and links, the planned ones, the links earlier
 * applies wrote), would lead outside the directory, and every planned link
 * through which an earlier link would then lead outside. */
void dfi_links_check(lc_diff *d, int ofd, dplanned *v, size_t n);
/* A directory the walk could not open (not root, no r-x): skipped, not fatal. */
bool dfi_dir_unreadable(const char *root, const lc_walk_entry *e);

/* ---- snapshot, bases and the object store (snapshot.c) ----------------------- */
int dfi_snapshot_load(lc_diff *d, lc_err *err);
const snap_ent *dfi_snap_find(const lc_diff *d, const char *path);
int dfi_bases_load(lc_diff *d, lc_err *err);
int dfi_bases_save(lc_diff *d, lc_err *err);
const dstate *dfi_base_find(const lc_diff *d, const char *path);
void dfi_base_set(lc_diff *d, const char *path, const dstate *st);
/* dfi_obj_put for the user's before-bytes of an apply: an object already
 * there with their size is not read back to be checked, as the journal keeps
 * the same bytes (fsynced) and undo falls back on them. */
int dfi_obj_keep(lc_diff *d, const void *data, size_t len, char oid[41], lc_err *err);
/* Stores data in objects/ and fills oid. */
int dfi_obj_put(lc_diff *d, const void *data, size_t len, char oid[41], lc_err *err);
int dfi_obj_get(const lc_diff *d, const char *oid, lc_buf *out, lc_err *err);
void dfi_oid_of(const void *data, size_t len, char oid[41]);

/* ---- file access that never leaves a root (safefs.c) -------------------------- */
/* Opens the parent directory of rel below rootfd, one component at a time,
 * never following a symlink. With create, missing directories are made (mode
 * dirmode) and their paths pushed on created. Returns a directory fd, or a
 * negative status with err set; *leaf points into rel. */
/* lc_diff_refresh for an operation that changed only paths (an apply, a
 * revert, an undo): the files already in the change set and those paths are
 * looked at again, without a walk of the shadow. */
int dfi_refresh_paths(lc_diff *d, const char *const *paths, size_t n, lc_err *err);
int dfi_open_parent(int rootfd, const char *rel, bool create, unsigned dirmode, lc_strv *created,
                    const char **leaf, lc_err *err);
/* Reads a path's current state: kind DK_ABSENT, DK_FILE (bytes) or DK_LINK
 * (target). Special files and directories give LC_ESECURITY. st may be NULL. */
int dfi_read(int rootfd, const char *rel, size_t max, char *kind, struct stat *st, lc_buf *out,
             lc_err *err);
/* What rel is, without following it: DK_ABSENT, 'd' (directory), DK_LINK (its
 * target appended to target) or DK_FILE (anything else). A symlink on the way
 * gives LC_ESECURITY. */
int dfi_lookup(int rootfd, const char *rel, char *kind, lc_buf *target, lc_err *err);
/* Makes rel be exactly (kind, data, mode): atomic replace for files and
 * symlinks, unlink for DK_ABSENT. Refuses to replace anything but a regular
 * file or a symlink. With expect, gives LC_ECONFLICT (nothing written) unless
 * rel still holds that state just before the rename. */
int dfi_write(int rootfd, const char *rel, char kind, const void *data, size_t len, unsigned mode,
              const dstate *expect, lc_strv *created, lc_err *err);

/* dfi_write in two halves, so that a batch of writes shares one flush
 * (lc_diff_apply; docs/diff.md "Writes"). dfi_stage checks rel and writes
 * the new content to a temporary file next to it (".lc-apply-" + 12 hex
 * digits; fsynced only with flush); a deletion stages nothing. With keep, the
 * temporary file and its directory stay open until the commit, so the flush,
 * the last look and the rename need no second walk of the path (and the
 * directory cannot be swapped meanwhile). dfi_commit takes the last look
 * (expect, as dfi_write) and renames the temporary file over rel (or unlinks
 * rel), with no fsync. dfi_unstage removes a staged temporary file that will
 * not be committed. dfi_staged_release closes what is still open; every
 * dstaged that went through dfi_stage must be released. */
typedef struct dstaged {
    char tmp[24]; /* "" when nothing is staged */
    char kind;
    int fd;  /* the temporary file, while kept open (else -1) */
    int dfd; /* its directory, while kept open (else -1) */
} dstaged;
#define DSTAGED_INIT {"", 0, -1, -1}
int dfi_stage(int rootfd, const char *rel, char kind, const void *data, size_t len, unsigned mode, bool flush,
              bool keep, lc_strv *created, dstaged *out, lc_err *err);
int dfi_commit(int rootfd, const char *rel, dstaged *s, const dstate *expect, lc_err *err);
void dfi_unstage(int rootfd, const char *rel, dstaged *s);
void dfi_staged_release(dstaged *s);
/* Flushing a batch: first dfi_flush_start on every file (its write-back
 * starts, sync_file_range(2), so the disk gets them all at once), then
 * dfi_flush_wait on each (fdatasync(2): its bytes and size are on disk; by
 * then most are, and one journal commit covers many). Only the batch's own
 * files: a syncfs(2) would also wait for everything else being written on
 * that filesystem. The _staged forms take a staged file below rootfd. */
int dfi_flush_path(const char *path, bool wait, lc_err *err);
int dfi_flush_staged(int rootfd, const char *rel, const dstaged *s, bool wait, lc_err *err);
/* fsyncs the parent directory of each path once (renames made durable);
 * staged (may be NULL) gives, for each path, its kept directory if any. */
void dfi_sync_parents(int rootfd, const char *const *rels, const dstaged *const *staged, size_t n);

/* State files (journal entries, bases): with d->stage NULL written at once
 * and flushed (lc_file_write_atomic); otherwise the bytes go unflushed to a
 * temporary file next to path and (tmp, path) is pushed on d->stage, for
 * dfi_state_commit once the caller has flushed them (dfi_flush_path on the
 * temporary names, stage->v[0], v[2], ...). */
int dfi_state_write(lc_diff *d, const char *path, const void *data, size_t len, lc_err *err);
/* Renames each staged state file over its path, in order; empties the list. */
int dfi_state_commit(lc_strv *stage, lc_err *err);
/* Removes the staged temporary files; empties the list. */
void dfi_state_abandon(lc_strv *stage);

/* ---- hunks (hunks.c) ------------------------------------------------------------ */
/* Fills f->pub from f->old and f->new (hunks, counts, binary). */
int dfi_file_diff(lc_diff *d, dfile *f, lc_err *err);
void dfi_file_free(dfile *f);
/* Appends to out the bytes `git apply` of the selected lines gives (sel is
 * per line of f->lines; an unselected removed line stays, an unselected added
 * line is left out), or with reverse the bytes `git apply -R` of them gives on
 * the new side. A kept last line without its newline that gets lines after
 * it gets its newline (the equivalent patch removes it and adds it back). */
void dfi_splice(const dfile *f, const bool *sel, bool reverse, lc_buf *out);
/* Whether f has any selected line (or is selected whole). O(1). */
bool dfi_any_selected(const dfile *f);
/* Whether every changed line of hunk h is selected (false with none changed). O(1). */
bool dfi_hunk_all(const dfile *f, size_t h);

/* ---- the only writers of line_sel (select.c): they keep the counts ----------- */
/* Selects or unselects changed line i (index into f->lines) of hunk h. */
void dfi_sel_line(dfile *f, size_t h, size_t i, bool on);
/* Unselects everything (whole_sel too). */
void dfi_sel_clear(dfile *f);
/* Recomputes every count from line_sel (after the hunks were made or cut). */
void dfi_sel_recount(dfile *f);
/* Recomputes the counts of hunks [from, from + n) from their lines, and
 * nfull (after a split cut one hunk into n; nsel and nchanged do not move). */
void dfi_sel_recount_hunks(dfile *f, size_t from, size_t n);
/* "@@ -a,b +c,d @@" + tail, counts of 1 left out as git does. Caller frees. */
char *dfi_hunk_header(int old_start, int old_lines, int new_start, int new_lines, const char *tail);
/* What follows the second "@@" of a hunk header (git's function context). */
const char *dfi_header_tail(const char *header);
/* Index of hunk h's first line in f->lines. */
size_t dfi_hunk_first(const dfile *f, size_t h);

/* Reads a whole-file side of f into out (appending): from memory, or for an
 * unloaded large file from the shadow (new, checked against new_oid) or the
 * object store (old). */
int dfi_load_side(const lc_diff *d, const dfile *f, bool new_side, lc_buf *out, lc_err *err);

/* ---- journal (journal.c) ------------------------------------------------------- */
typedef struct jrec {
    const char *path;
    dstate before, after; /* the original's state before and after the apply */
    dstate base_before;   /* the base before the apply (kind DK_ABSENT when there was none) */
    dstate base_after;    /* the base once written (kind 0 in old entries: unknown) */
    const lc_buf *before_bytes; /* the bytes of before, when the caller has them (never written
                                 * in the entry); else they are read from objects/ */
} jrec;
/* Lists the entries, then finishes any apply a crash cut short (see
 * lc_diff_recovered): its temporary files are removed, the entry keeps only
 * the files really written, their bases move on. */
int dfi_journal_load(lc_diff *d, lc_err *err);
/* Writes (or rewrites) entry seq with recs and the directories the apply
 * created, atomically, and makes it the newest undoable entry. An open entry
 * is the intent (written before any file); the apply rewrites it closed
 * (done) with only what it wrote once the writes are over. */
#define JOURNAL_OPEN 'o'   /* the intent: written before any file */
#define JOURNAL_DONE 'd'   /* the completion: only what was written; the caller's log may lack it */
#define JOURNAL_LOGGED 'l' /* the caller said its log has it (lc_diff_logged) */
#define JOURNAL_UNDOING 'u' /* an undo's intent: written before it restores any file */
#define JOURNAL_UNDONE 'x'  /* <seq>.undone: what an undo restored, until the caller logged it */
#define JOURNAL_REDO 'r'    /* <seq>.redo: what an undo took back, for redo */
int dfi_journal_write(lc_diff *d, unsigned long seq, const jrec *recs, size_t n, const lc_strv *dirs,
                      char state, lc_err *err);
/* Remembers that entry seq is done but not yet logged by the caller. */
void dfi_journal_unlogged(lc_diff *d, unsigned long seq);
void dfi_journal_drop(lc_diff *d, unsigned long seq);
/* Forgets every redo (a new apply was made). */
void dfi_redo_clear(lc_diff *d);

/* ---- reports ------------------------------------------------------------------- */
void dfi_report_add(lc_diff_report *rep, const char *path, lc_diff_outcome o, const char *fmt, ...)
    LC_PRINTF(4, 5);

#endif
