/* ui internals: shared by the files of src/ui only. Each pane owns its model
 * (its file's private struct behind ui_pane.data) and shows it through its
 * ops; lc_app keeps the layout, the focus, the list of panes and what the
 * status bar and the input line show. */
#ifndef LC_UI_INT_H
#define LC_UI_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <termios.h>
#include <wchar.h>

#include <curses.h>

#include "ui/ui.h"

/* ---- colour roles: widgets only ever ask for a role --------------------- */
/* X(ID, name, fg, bg, attributes when colour is off)  fg/bg: 0-255, -1 default */
#define UI_ROLES(X)                                                     \
    X(NORMAL, "normal", -1, -1, A_NORMAL)                              \
    X(TITLE, "title", 7, 8, A_REVERSE)                                 \
    X(TITLE_FOCUS, "title_focus", 0, 6, A_REVERSE | A_BOLD)            \
    X(SEPARATOR, "separator", 8, -1, A_NORMAL)                         \
    X(STATUS, "status", 15, 4, A_REVERSE)                              \
    X(STATUS_WARN, "status_warn", 15, 1, A_REVERSE | A_BOLD)           \
    X(STATUS_AUTO, "status_auto", 0, 3, A_REVERSE | A_BOLD)            \
    X(INPUT, "input", -1, -1, A_NORMAL)                                \
    X(PROMPT, "prompt", 14, -1, A_BOLD)                                \
    X(APPROVAL, "approval", 0, 11, A_REVERSE | A_BOLD)                 \
    X(FLASH, "flash", 11, -1, A_BOLD)                                  \
    X(USER, "user", 14, -1, A_BOLD)                                    \
    X(ASSISTANT, "assistant", -1, -1, A_NORMAL)                        \
    X(REASONING, "reasoning", 8, -1, A_DIM)                            \
    X(PLAN, "plan", 13, -1, A_NORMAL)                                  \
    X(OBSERVATION, "observation", 8, -1, A_DIM)                        \
    X(ANSWER, "answer", 10, -1, A_BOLD)                                \
    X(INFO, "info", 12, -1, A_NORMAL)                                  \
    X(ERROR, "error", 9, -1, A_BOLD)                                   \
    X(LINENO, "lineno", 8, -1, A_DIM)                                  \
    X(KEYWORD, "keyword", 12, -1, A_BOLD)                              \
    X(STRING, "string", 10, -1, A_NORMAL)                              \
    X(COMMENT, "comment", 8, -1, A_DIM)                                \
    X(NUMBER, "number", 13, -1, A_NORMAL)                              \
    X(STDOUT, "stdout", -1, -1, A_NORMAL)                              \
    X(STDERR, "stderr", 9, -1, A_BOLD)                                 \
    X(EXIT_OK, "exit_ok", 10, -1, A_BOLD)                              \
    X(EXIT_FAIL, "exit_fail", 9, -1, A_BOLD | A_UNDERLINE)             \
    X(NOTICE, "notice", 11, -1, A_UNDERLINE)                           \
    X(DIFF_FILE, "diff_file", 15, -1, A_BOLD)                          \
    X(DIFF_HUNK, "diff_hunk", 6, -1, A_NORMAL)                         \
    X(DIFF_ADD, "diff_add", 2, -1, A_NORMAL)                           \
    X(DIFF_DEL, "diff_del", 1, -1, A_DIM)                              \
    X(DIFF_CTX, "diff_ctx", -1, -1, A_NORMAL)                          \
    X(DIFF_ADD_WORD, "diff_add_word", 0, 2, A_REVERSE | A_BOLD)        \
    X(DIFF_DEL_WORD, "diff_del_word", 0, 1, A_REVERSE)                 \
    X(CURSOR, "cursor", 0, 7, A_REVERSE)                               \
    X(SELECTED, "selected", 11, -1, A_BOLD)                            \
    X(CONFLICT, "conflict", 15, 1, A_REVERSE | A_BOLD)                 \
    X(HELP, "help", -1, -1, A_NORMAL)                                  \
    X(SPINNER, "spinner", 11, -1, A_BOLD)                              \
    X(MATCH, "match", 0, 11, A_REVERSE)

typedef enum ui_role {
#define UI_ROLE_ENUM(id, name, fg, bg, mono) UI_R_##id,
    UI_ROLES(UI_ROLE_ENUM)
#undef UI_ROLE_ENUM
        UI_R_COUNT
} ui_role;

typedef struct ui_style {
    short fg, bg;   /* 0-255 or -1 */
    attr_t attrs;   /* extra attributes (bold, underline...) */
} ui_style;

typedef struct ui_theme {
    char name[64];
    ui_style style[UI_R_COUNT];
    attr_t attr[UI_R_COUNT]; /* resolved for this terminal: colour pair + attributes */
} ui_theme;

const char *ui_role_name(ui_role r);
/* Loads a theme by name (themes_dir/NAME.yaml) or path; LC_EINVAL with
 * file:line for a bad file. Starts from the built-in defaults. */
int ui_theme_load(ui_theme *t, const char *name_or_path, const char *themes_dir, lc_err *err);
/* Resolves styles to curses attributes for `colors` colours (0: none).
 * Without default colours (-1) white on black stands in for them. */
void ui_theme_apply(ui_theme *t, int colors, bool defaults);

/* ---- keymap: one table makes the bindings and the help ----------------- */
typedef enum ui_scope { UI_SC_GLOBAL, UI_SC_SCROLL, UI_SC_APPROVAL, UI_SC_DIFF, UI_SC_GRANTS, UI_SC_INPUT } ui_scope;
#define UI_SC_LAST UI_SC_INPUT

/* X(ID, name, scope, default keys (space separated), help) */
#define UI_ACTIONS(X)                                                                        \
    X(FOCUS_NEXT, "focus_next", GLOBAL, "<Tab>", "Focus the next pane")                     \
    X(FOCUS_PREV, "focus_prev", GLOBAL, "<S-Tab>", "Focus the previous pane")               \
    X(ZOOM, "zoom", GLOBAL, "z", "Zoom the focused pane to the full screen and back")       \
    X(GROW, "grow", GLOBAL, ">", "Make the focused pane larger")                            \
    X(SHRINK, "shrink", GLOBAL, "<lt>", "Make the focused pane smaller")                    \
    X(MESSAGE, "message", GLOBAL, "i :", "Type a message for the agent (Enter sends)")      \
    X(SEARCH, "search", GLOBAL, "/", "Search the focused pane (case ignored unless the text has capitals)") \
    X(COPY, "copy", GLOBAL, "Y", "Copy (yank) the code, the hunk (or file) under the cursor, or the output, to the clipboard (OSC 52)") \
    X(COPY_FILE, "copy_file", GLOBAL, "C", "Save what Y copies to a file you name")            \
    X(INTERRUPT, "interrupt", GLOBAL, "<C-c>",                                               \
      "Interrupt the running step; again within 3 s stops the session (in the input line: clear it first)") \
    X(AUTO_OFF, "auto_off", GLOBAL, "X", "Turn auto-approve off again")                     \
    X(GRANTS, "grants", GLOBAL, "W", "The grants and rules that let steps run without asking, and where each came from; revoke one there") \
    X(HELP, "help", GLOBAL, "? <F1>", "Show or hide this help")                             \
    X(REDRAW, "redraw", GLOBAL, "<C-l>", "Redraw the screen")                               \
    X(SUSPEND, "suspend", GLOBAL, "<C-z>", "Suspend to the shell (fg resumes)")             \
    X(QUIT, "quit", GLOBAL, "q", "Quit (asks first while the agent works or changes are unapplied)") \
    X(UP, "up", SCROLL, "k <Up>", "Scroll up a line")                                       \
    X(DOWN, "down", SCROLL, "j <Down>", "Scroll down a line")                               \
    X(PAGE_UP, "page_up", SCROLL, "<PgUp> b", "Scroll up a page")                           \
    X(PAGE_DOWN, "page_down", SCROLL, "<PgDn> <Space>", "Scroll down a page")               \
    X(TOP, "top", SCROLL, "g <Home>", "Go to the top")                                      \
    X(BOTTOM, "bottom", SCROLL, "G <End>", "Go to the bottom and follow new lines")         \
    X(SEARCH_NEXT, "search_next", SCROLL, "n .", "Next match of the search (in the Diffs pane, where n is the next hunk: .)") \
    X(SEARCH_PREV, "search_prev", SCROLL, "N ,", "Previous match of the search")            \
    X(RUN, "run", APPROVAL, "y <Enter>", "Run the proposed step")                           \
    X(EDIT, "edit", APPROVAL, "e", "Edit the step in $EDITOR, then decide again")           \
    X(DECLINE, "decline", APPROVAL, "d", "Decline the step with a reason you type")         \
    X(APPROVE_ALL, "approve_all", APPROVAL, "a", "Run this and every later step (auto-approve)") \
    X(GRANT, "grant", APPROVAL, "w", "Run it and allow steps like this for the session (the narrowest rule)") \
    X(GRANT_SAVE, "grant_save", APPROVAL, "P", "Run it, allow steps like this, and save that rule to your config file for later sessions") \
    X(STOP, "stop", APPROVAL, "s", "Stop the session")                                      \
    X(NEXT_HUNK, "next_hunk", DIFF, "n", "Next hunk")                                       \
    X(PREV_HUNK, "prev_hunk", DIFF, "p", "Previous hunk")                                   \
    X(NEXT_FILE, "next_file", DIFF, "J ]", "Next file")                                     \
    X(PREV_FILE, "prev_file", DIFF, "K [", "Previous file")                                 \
    X(TOGGLE, "toggle", DIFF, "t <Space>", "Select or unselect the hunk")                  \
    X(APPLY, "apply", DIFF, "A", "Apply the selected hunks to the real directory")         \
    X(APPLY_FILE, "apply_file", DIFF, "F", "Apply the whole file")                          \
    X(SKIP_FILE, "skip_file", DIFF, "S", "Skip the file (hide it from the review)")        \
    X(REVERT, "revert", DIFF, "r", "Revert the selected hunks in the shadow copy")         \
    X(UNDO, "undo", DIFF, "u", "Undo the last apply")                                       \
    X(REFRESH, "refresh", DIFF, "R", "Look for changes in the shadow copy again")            \
    X(LEFT, "left", DIFF, "h <Left>", "Scroll long lines left by half the text's width")    \
    X(RIGHT, "right", DIFF, "l <Right>", "Scroll long lines right (to the longest line's end)") \
    X(LINE_START, "line_start", DIFF, "0 <Home>", "Back to column 0 of the lines")                 \
    X(SPLIT, "split", DIFF, "|", "Split the hunk into its smallest runs of changes (git add -p's s)") \
    X(LINE_MODE, "line_mode", DIFF, "v", "Line mode: j/k go over the hunk's changed lines, Space/t picks one; v again leaves") \
    X(EDIT_HUNK, "edit_hunk", DIFF, "E", "Edit the hunk in $EDITOR and apply your version (the agent is told)") \
    X(LIKE, "like", DIFF, "=", "Select every hunk, in every file, with the same change as this one (again: unselect)") \
    X(SELECT_ALL, "select_all", DIFF, "+", "Select everything the filter shows") \
    X(SELECT_NONE, "select_none", DIFF, "-", "Unselect everything the filter shows") \
    X(INVERT, "invert", DIFF, "~", "Invert the selection of what the filter shows") \
    X(FILTER, "filter", DIFF, "&", "Filter the files: a path pattern, then status=AMDT (empty: all files)") \
    X(FILE_LIST, "file_list", DIFF, "f", "File list: one row per file with counts, and back to the hunks") \
    X(REDO, "redo", DIFF, "U <C-r>", "Redo the last undone apply") \
    X(REVOKE_ONE, "revoke_one", GRANTS, "x <Del>", "Revoke the grant under the cursor, or turn the rule off for this session (its file keeps it)") \
    X(GRANTS_CLOSE, "grants_close", GRANTS, "<Esc> q", "Close the grants panel (W too)") \
    X(INPUT_SEND, "input_send", INPUT, "<Enter>", "Send (a \\ just before the cursor makes it a line break)") \
    X(INPUT_NEWLINE, "input_newline", INPUT, "<M-Enter>", "A line break: a message of several lines (Alt-Enter)") \
    X(INPUT_CANCEL, "input_cancel", INPUT, "<Esc>", "Close the line without sending")               \
    X(INPUT_LEFT, "input_left", INPUT, "<Left> <C-b>", "Cursor one character left")                \
    X(INPUT_RIGHT, "input_right", INPUT, "<Right> <C-f>", "Cursor one character right")            \
    X(INPUT_HOME, "input_home", INPUT, "<Home> <C-a>", "To the start of the line (again: of the message)") \
    X(INPUT_END, "input_end", INPUT, "<End> <C-e>", "To the end of the line (again: of the message)") \
    X(INPUT_BACKSPACE, "input_backspace", INPUT, "<BS>", "Delete the character before the cursor") \
    X(INPUT_DELETE, "input_delete", INPUT, "<Del> <C-d>", "Delete the character at the cursor")    \
    X(INPUT_KILL_WORD, "input_kill_word", INPUT, "<C-w>", "Delete the word before the cursor")     \
    X(INPUT_KILL_START, "input_kill_start", INPUT, "<C-u>", "Delete from the cursor back to the start") \
    X(INPUT_KILL_END, "input_kill_end", INPUT, "<C-k>", "Delete from the cursor to the end")       \
    X(INPUT_HISTORY_PREV, "input_history_prev", INPUT, "<Up>", "The line sent or cleared before (history)") \
    X(INPUT_HISTORY_NEXT, "input_history_next", INPUT, "<Down>", "The next line in the history")

typedef enum ui_action {
    UI_A_NONE = 0,
#define UI_ACTION_ENUM(id, name, scope, keys, help) UI_A_##id,
    UI_ACTIONS(UI_ACTION_ENUM)
#undef UI_ACTION_ENUM
        UI_A_COUNT
} ui_action;

/* Key codes: characters are their code point; curses function keys are
 * UI_KFN(KEY_x) so they never collide with a character. */
#define UI_KFN(k) (0x200000 | (int)(k))
/* The markers of a bracketed paste (xterm's CSI 200 ~ and CSI 201 ~), taught
 * to curses with define_key; never bindable. */
#define UI_KPASTE_BEGIN_CODE (KEY_MAX + 1)
#define UI_KPASTE_END_CODE (KEY_MAX + 2)
#define UI_KEY_PASTE_BEGIN UI_KFN(UI_KPASTE_BEGIN_CODE)
#define UI_KEY_PASTE_END UI_KFN(UI_KPASTE_END_CODE)
/* A mouse event as a key: what (UI_MOUSE_*) and where (0-based screen row
 * and column, below 512). From the terminal (KEY_MOUSE) or a script
 * ("<Click:ROW:COL>", "<WheelUp:ROW:COL>", "<WheelDown:ROW:COL>"); never
 * bindable. */
enum { UI_MOUSE_CLICK, UI_MOUSE_WHEEL_UP, UI_MOUSE_WHEEL_DOWN };
#define UI_KMOUSE_FLAG 0x400000
#define UI_KEY_MOUSE(kind, y, x) (UI_KMOUSE_FLAG | (kind) << 18 | ((y) & 511) << 9 | ((x) & 511))
#define UI_IS_MOUSE(key) (((key) & UI_KMOUSE_FLAG) != 0)
/* Alt-Enter (Esc then Enter from the terminal): a line break in the input line. */
#define UI_KEY_NEWLINE UI_KFN(KEY_MAX + 3)
#define UI_KMAX 4
typedef struct ui_keymap {
    int keys[UI_A_COUNT][UI_KMAX];
} ui_keymap;

void ui_keymap_defaults(ui_keymap *km);
/* "action=key" pairs (keys space separated) replace an action's keys. */
int ui_keymap_bind(ui_keymap *km, const lc_strv *pairs, lc_err *err);
/* The action bound to key in scope, or UI_A_NONE. */
ui_action ui_keymap_lookup(const ui_keymap *km, ui_scope scope, int key);
/* Parses a key name ("<C-c>", "x", "<lt>"); -1 when unknown. *used is set
 * to the bytes consumed. */
int ui_key_parse(const char *s, size_t *used);
/* Writes a key's name ("Tab", "C-c", "x"). */
void ui_key_name(int key, char *out, size_t outsz);
/* "y/Enter" for an action. */
void ui_keymap_keys_text(const ui_keymap *km, ui_action a, char *out, size_t outsz);
const char *ui_action_name(ui_action a);
const char *ui_action_help(ui_action a);
ui_scope ui_action_scope(ui_action a);

/* ---- line models --------------------------------------------------------- */
typedef struct ui_line {
    char *s;       /* sanitized UTF-8, no newline */
    uint32_t len;
    uint8_t role;  /* ui_role, or a pane's own tag */
} ui_line;

typedef struct ui_lines {
    ui_line *v;
    size_t n, cap;
    bool open;     /* the last line is still being streamed */
    size_t max;    /* 0: unbounded; else the oldest lines are dropped */
    /* Once lines were dropped, v[0] is a marker line that counts them. */
    uint64_t dropped;
    uint64_t shifted;       /* how far line indexes moved down, in all (for scroll positions) */
    const char *limit_name; /* the setting that sets max, named in the marker (may be NULL) */
} ui_lines;

/* Appends raw (untrusted) bytes: sanitized, split on '\n', continuing the
 * open last line when it has the same role. */
void ui_lines_add(ui_lines *l, uint8_t role, const char *raw, size_t len);
/* Appends one closed line of trusted text (printf-style, still sanitized). */
void ui_lines_addf(ui_lines *l, uint8_t role, const char *fmt, ...) LC_PRINTF(3, 4);
void ui_lines_close(ui_lines *l);
void ui_lines_clear(ui_lines *l);
void ui_lines_free(ui_lines *l);

/* ---- drawing safe text --------------------------------------------------- */
typedef struct ui_rect { int y, x, h, w; } ui_rect;

/* Draws sanitized UTF-8 at (y, x) within w columns; tabs expand to 4;
 * wide characters that do not fit are left out, combining characters join
 * their base. Returns the columns used. */
int ui_draw_text(lc_app *app, int y, int x, int w, const char *s, size_t len, attr_t attr);
/* The same from display column `from` of the text on (tabs still stop
 * every 4 columns of the whole text): a wide character or tab cut by the
 * left edge shows as spaces, never half a character. *more (may be NULL)
 * says the text goes on past the right edge. Returns the columns used. */
int ui_draw_text_at(lc_app *app, int y, int x, int w, const char *s, size_t len, int from, attr_t attr,
                    bool *more);
/* The display columns sanitized text takes, as ui_draw_text counts them. */
int ui_text_width(const char *s, size_t len);
/* The number of bytes of s that fit into w columns (for wrapping). */
size_t ui_text_fit(const char *s, size_t len, int w, int *cols);
void ui_fill(lc_app *app, int y, int x, int w, attr_t attr);
/* s shortened in the middle to w columns with a marker ("src/…/file.c"),
 * appended to out; unchanged when it fits. s is sanitized text. */
void ui_text_shorten_middle(const char *s, size_t len, int w, lc_buf *out);
/* One wrapped row's bytes (cut at a space when a word would split). */
size_t ui_wrap_fit(const char *s, size_t len, int w);
int ui_line_rows(const ui_line *ln, int w, bool wrap);
/* Printf then sanitize, then draw. */
int ui_draw_fmt(lc_app *app, int y, int x, int w, attr_t attr, const char *fmt, ...) LC_PRINTF(6, 7);

/* ---- panes ---------------------------------------------------------------- */
/* X(ID, ops, column, share): every pane, in focus order (Tab). A new pane is
 * a file with its model and its ops (pane_NAME.c) and a row here. Column 0
 * is the left of the screen, 1 the right; a column stacks its panes in the
 * order of the rows, each taking its share (percent) of the column's height
 * (ui_layout_default). */
#define UI_PANES(X)                 \
    X(CONV, ui_conv_ops, 0, 60)     \
    X(CODE, ui_code_ops, 1, 50)     \
    X(OUTPUT, ui_output_ops, 1, 50) \
    X(DIFF, ui_diff_ops, 0, 40)

enum {
#define UI_PANE_ENUM(id, ops, column, share) UI_P_##id,
    UI_PANES(UI_PANE_ENUM)
#undef UI_PANE_ENUM
        UI_P_COUNT
};

/* Results of key handlers, as a bit set. */
enum { UI_IGNORED = 0, UI_HANDLED = 1, UI_REDRAW = 2, UI_QUIT = 4 };

typedef struct ui_scroll {
    size_t top;   /* first line shown */
    bool follow;  /* stick to the bottom as lines come */
    int height;   /* rows at the last draw, for paging */
    size_t row;   /* wrapped rows of the top line scrolled past */
    int width;    /* columns at the last draw, for counting wrapped rows */
    uint64_t shifted; /* the lines' shifted count this position was made for */
} ui_scroll;

typedef struct ui_pane ui_pane;
typedef struct ui_event ui_event;
typedef struct ui_pane_ops {
    const char *title;
    /* The keys the pane has besides scrolling (UI_SC_SCROLL: none more). */
    ui_scope scope;
    /* Makes the pane's model in p->data (and sets p->sc.follow); close
     * frees it. Called by lc_ui_new and lc_ui_free; NULL: nothing to do. */
    void (*open)(lc_app *app, ui_pane *p);
    void (*close)(lc_app *app, ui_pane *p);
    void (*draw)(lc_app *app, ui_pane *p, ui_rect r);
    unsigned (*key)(lc_app *app, ui_pane *p, ui_action a, int key);
    /* Extra words for the title bar ("3 files", "step 4"). */
    void (*subtitle)(lc_app *app, ui_pane *p, char *out, size_t outsz);
    /* An agent event, on the UI thread, after the status took it; NULL:
     * the pane shows no events. Every pane sees every event. */
    void (*event)(lc_app *app, ui_pane *p, const ui_event *e);
    /* Brings the next (dir 1) or previous (dir -1) line containing pat into
     * view, from the view's position on, round the end; false: none.
     * NULL: the pane cannot be searched. */
    bool (*search)(lc_app *app, ui_pane *p, const char *pat, int dir);
    /* What the copy key takes from the pane, appended to out (sanitized
     * text, lines ending in '\n'), and a word for it ("the code"); NULL:
     * the pane has nothing to copy. */
    void (*copy)(lc_app *app, ui_pane *p, lc_buf *out, const char **what);
    /* A click on content row `row` (0: the first under the title) of the
     * focused pane; NULL: a click only focuses it. */
    void (*click)(lc_app *app, ui_pane *p, int row);
} ui_pane_ops;

struct ui_pane {
    const ui_pane_ops *ops;
    ui_rect rect;          /* content, without the title row */
    ui_scroll sc;
    void *data;            /* the pane's model: its own file's type, made by ops->open */
};

#define UI_PANE_OPS_DECL(id, ops, column, share) extern const ui_pane_ops ops;
UI_PANES(UI_PANE_OPS_DECL)
#undef UI_PANE_OPS_DECL

/* Draws lines into r, wrapping long ones (at spaces where it can).
 * Keeps sc consistent (follow, clamping). */
void ui_draw_lines(lc_app *app, ui_rect r, const ui_lines *l, ui_scroll *sc, bool wrap);
unsigned ui_scroll_key(ui_scroll *sc, size_t nlines, ui_action a);
/* Scrolls by screen rows over n lines, rows(ctx, i) being line i's height,
 * so a line taller than the pane can be read to its end. With follows,
 * reaching the end (or BOTTOM) follows new lines again. */
typedef size_t (*ui_rows_fn)(const void *ctx, size_t line);
unsigned ui_scroll_rows(ui_scroll *sc, size_t n, ui_rows_fn rows, const void *ctx, bool follows, ui_action a);
/* Where pat occurs in s (len bytes): case ignored unless pat has a capital
 * letter (as less and vim's smartcase). NULL: nowhere. */
const char *ui_text_find(const char *s, size_t len, const char *pat);
/* The search op of a pane drawn from l: puts the next (dir 1) or previous
 * line with a match at the view's top; false when no line has one. */
bool ui_lines_search(const ui_lines *l, ui_scroll *sc, const char *pat, int dir);
/* ui_scroll_rows for lines drawn wrapped by ui_draw_lines. */
unsigned ui_scroll_rows_key(ui_scroll *sc, const ui_lines *l, ui_action a);

/* ---- layout: a tree of splits, recomputed on resize --------------------- */
typedef struct ui_node {
    int kind;      /* 0 leaf, 1 side by side, 2 stacked */
    int pane;      /* leaf */
    int a, b;      /* children */
    int parent;
    int pct;       /* share of the first child */
} ui_node;

#define UI_NODES (2 * UI_P_COUNT - 1) /* a leaf per pane, a split between two */
typedef struct ui_layout {
    ui_node n[UI_NODES];
    int root;
} ui_layout;

void ui_layout_default(ui_layout *lo);
/* Pane rectangles (with their title row) for the area. */
void ui_layout_compute(const ui_layout *lo, ui_rect area, ui_rect out[UI_P_COUNT]);
/* Grows (delta > 0) or shrinks the pane's share in its parent split. */
void ui_layout_resize(ui_layout *lo, int pane, int delta);

/* ---- the agent side: events queued for the UI thread -------------------- */
struct ui_event {
    lc_event_kind kind;
    int step, max_steps;
    char *text;
    size_t len;
    char *detail;
    lc_stream stream;
    int code;
    /* action */
    lc_action_kind akind;
    /* decision */
    lc_decision_kind dkind;
    /* result */
    lc_step_status status;
    bool truncated, state_lost;
    uint64_t dropped;
    double duration_s;
    char *notice;
    int64_t ptok, ctok;
    struct ui_event *next;
};

typedef enum ui_ask_kind { UI_ASK_NONE, UI_ASK_APPROVE, UI_ASK_USER, UI_ASK_SUMMARY } ui_ask_kind;

typedef struct ui_ask {
    ui_ask_kind kind;  /* the question pending, NONE when none */
    bool shown;        /* the UI has put it on screen */
    bool answered;
    int step;
    lc_action_kind akind;
    char *code;        /* the code (or tool call) asked about; edited in place */
    char *tool_name;
    char *host;        /* an MCP call: "server/tool", one safe line; NULL otherwise */
    bool edited;
    char *question;    /* ask_user */
    lc_decision decision;
    char *answer;      /* ask_user */
} ui_ask;

typedef enum ui_state { UI_ST_IDLE, UI_ST_STARTING, UI_ST_THINKING, UI_ST_WAITING, UI_ST_RUNNING, UI_ST_DONE } ui_state;
typedef enum ui_input {
    UI_IN_NONE, UI_IN_MESSAGE, UI_IN_REASON, UI_IN_ANSWER, UI_IN_QUIT, UI_IN_TASK, UI_IN_SEARCH, UI_IN_SAVE,
    UI_IN_MODEL_FAILED, /* r retries, m changes the model, q ends */
    UI_IN_MODEL,        /* the model's name, to retry with */
    UI_IN_PANE          /* the Diffs pane asks (ui_diff_prompt) */
} ui_input;
typedef struct ui_input_line ui_input_line;

/* After a model error (auth, server, network, rate limit) the session stays
 * and the user picks: the agent thread waits for it (under mu). */
typedef enum ui_model_pick { UI_MP_NONE, UI_MP_WAITING, UI_MP_RETRY, UI_MP_CHANGE, UI_MP_END } ui_model_pick;

/* For lc_ui_restore_terminal: what to write and set, captured at start. */
typedef struct ui_restore {
    bool have_tio;
    struct termios tio;
    char seq[128];
    size_t len;
} ui_restore;

/* What the status bar shows (status.c); events change it in ui_status_event. */
typedef struct ui_status {
    char *model, *agent_desc, *exec_desc;
    int step, max_steps;
    int64_t ptok, ctok;
    ui_state state;
    int64_t start_ms;
    int spin;
} ui_status;

/* Bracketed paste: what arrives between the markers is text, never keys. */
typedef struct ui_paste {
    bool on;            /* inside a paste */
    lc_buf text;
    int match;          /* bytes of the end marker seen so far */
    uint64_t cut;       /* bytes past the limit, counted, not kept */
    int64_t last_ms;    /* the last byte of the paste (a missing end marker times out) */
    int64_t tail_until; /* keys right after a paste are still its text */
} ui_paste;

/* Keys fed by tests and scripts, taken in order. */
typedef struct ui_keyq {
    int *v;
    size_t n, cap, pos;
} ui_keyq;

/* LITECODE_UI_TRACE=FILE: where a key's time goes (bench/ui_tmux_latency.sh). */
typedef struct ui_trace {
    FILE *fp;
    double turn_s;  /* when the turn's work began (after any wait) */
    double cpu_s;   /* this thread's CPU time then */
    double key_s;   /* when its first key was read; 0: none */
} ui_trace;

struct lc_app {
    lc_ui_opts opts;
    const lc_config *cfg;
    SCREEN *scr;
    FILE *out_fp, *in_fp;
    int in_hold;          /* virtual terminal: the write end of its input pipe */
    ui_restore restore;
    atomic_bool stop_requested;
    int rows, cols, colors;
    ui_theme theme;
    ui_keymap keys;
    ui_layout layout;
    ui_pane panes[UI_P_COUNT];
    int focus;
    bool zoom, help, quit;
    struct ui_grants *grants; /* the grants panel, while it is open (pane_grants.c) */
    ui_lines help_text;
    ui_scroll help_sc;

    ui_status status;
    int64_t ctrlc_ms;    /* when Ctrl-C last counted toward stopping; 0: not within the window */
    atomic_bool sigint;  /* a SIGINT came (lc_ui_interrupt): handled as Ctrl-C on the UI thread */
    char flash[256];
    int64_t flash_until;
    int64_t guard_until; /* keys before this are dropped (approval) */
    int64_t frame_ms;    /* the last frame drawn (lc_ui_pump paces frames for events) */
    bool frame_due;      /* events changed the models since */

    ui_input_line *in;   /* the input line's own model (status.c) */
    char search[256];    /* the last search ('/'), sanitized; "" none */
    lc_buf copied;       /* the last text copied (c) or to be saved (C) */
    bool want_task;      /* the session waits for a task typed here (opts.ask_task) */
    int unapplied, unapplied_files; /* counted for the quit question */

    ui_paste paste;

    /* a model error: the pick (mu), the model typed for it, the models made here */
    ui_model_pick model_pick;
    char *model_next;    /* UI_MP_CHANGE: the name typed (malloc'd) */
    lc_model_config model_cfg; /* the model made here: name owned, the rest borrowed from cfg */
    lc_llm *llm_own;     /* made here after a change of model, freed in lc_ui_free */

    /* shared with the agent thread (mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ui_event *qhead, *qtail;
    ui_ask ask;           /* the one question: read on the UI thread through ui_ask_current */
    char *change_ids;     /* content ids of the changed files at the last summary (the agent's changes_ids) */
    atomic_bool auto_approve;
    bool approve_reads; /* mode reads in force (UI thread) */
    int wake[2];

    /* the agent thread */
    lc_agent *agent;
    char *task;
    pthread_t th;
    bool th_started;
    atomic_bool th_done;
    atomic_bool building;       /* opts.prepare runs (the image is being built or loaded) */
    atomic_bool sandbox_up;     /* opts.start_executor: the sandbox started */
    atomic_bool prepare_cancel; /* the user stopped: opts.prepare ends */
    int rc;
    lc_agent_outcome outcome;

    ui_keyq keyq;
    ui_event *todo;      /* taken from the queue, not applied yet (the loop's budget) */
    ui_trace trace;
};

/* events.c */
void ui_events_init(lc_app *app);
void ui_events_free(lc_app *app);
ui_event *ui_events_take(lc_app *app); /* the whole queue, oldest first */
void ui_events_drop(lc_app *app);      /* the queue and app->todo, unseen */
void ui_event_free(ui_event *e);
void ui_wake(lc_app *app);
lc_observer ui_make_observer(lc_app *app);
lc_workspace_hooks ui_make_hooks(lc_app *app);
/* Answers a pending question on the UI thread (summary) or, at the end,
 * with "stop" so the agent thread never waits forever. */
void ui_ask_service(lc_app *app, bool cancel);
/* The question on screen (shown, not answered yet), read from app->ask
 * under mu (not held by the caller); kind UI_ASK_NONE when there is none. */
typedef struct ui_asking {
    ui_ask_kind kind; /* UI_ASK_APPROVE or UI_ASK_USER */
    int step;
    lc_action_kind akind;
    bool edited;
    char host[96];    /* an MCP call: "server/tool" (cut), runs on the user's machine; "" otherwise */
} ui_asking;
ui_asking ui_ask_current(lc_app *app);

/* app.c */
/* An agent event to the status (ui_status_event), then to every pane. */
void ui_apply_event(lc_app *app, const ui_event *e);
static inline ui_pane *ui_pane_get(lc_app *app, int id)
{
    return &app->panes[id];
}
void ui_flash(lc_app *app, const char *fmt, ...) LC_PRINTF(2, 3);
void ui_redraw(lc_app *app);
/* Below 80x24 a message replaces the panes and keys other than Ctrl-C are
 * dropped. */
static inline bool ui_too_small(const lc_app *app)
{
    return app->rows < 24 || app->cols < 80;
}

/* pane_conv.c: the talk. Lines of the UI's own (trusted format, the text
 * still sanitized), and untrusted text as closed lines. */
void ui_conv_addf(lc_app *app, ui_role role, const char *fmt, ...) LC_PRINTF(3, 4);
void ui_conv_add(lc_app *app, ui_role role, const char *text, size_t len);

/* pane_code.c: the step shown (code NULL: none yet); the user edited it. */
void ui_set_code(lc_app *app, int step, lc_action_kind kind, const char *code, const char *tool);
void ui_code_edited(lc_app *app);

/* search.c: '/' opens the input line for a pattern; n/N find again. */
void ui_search_start(lc_app *app);
void ui_search_submit(lc_app *app, const char *text);
unsigned ui_search_again(lc_app *app, int dir);

/* copy.c: Y copies the focused pane's text to the clipboard with OSC 52
 * (through ssh and tmux; the payload is base64, so nothing in it reaches the
 * terminal as a sequence); C saves it to a file named in the input line. */
unsigned ui_copy_key(lc_app *app, ui_action a);
void ui_copy_save(lc_app *app, const char *path);
/* A pane's lines as text, one '\n' after each (for copy ops). */
void ui_lines_text(const ui_lines *l, lc_buf *out);

/* mouse.c: ui.mouse on: the wheel scrolls the pane under the pointer, a
 * click focuses a pane (and in the Diffs pane puts the cursor on the hunk).
 * The mouse never answers a question. */
void ui_mouse_mode(lc_app *app, bool on);
unsigned ui_mouse_key(lc_app *app, int key);

/* app_keys.c */
/* Handles one key (characters are code points, function keys UI_KFN);
 * returns UI_HANDLED, UI_REDRAW, UI_QUIT bits. */
unsigned ui_handle_key(lc_app *app, int key);
/* Every key read from the terminal or the queue goes through here: a
 * bracketed paste becomes text for the input line, the rest ui_handle_key. */
unsigned ui_key_in(lc_app *app, int key);
/* A paste missing its end marker ends after a quiet second. */
void ui_paste_tick(lc_app *app);
/* Bracketed paste on (start, resume) or off (exit, suspend, editor). */
void ui_term_paste_mode(lc_app *app, bool on);
/* Reads the terminal's size after a resize. */
void ui_take_size(lc_app *app);

/* approval.c */
void ui_approval_show(lc_app *app);
unsigned ui_approval_key(lc_app *app, ui_action a, int key);
void ui_approval_draw(lc_app *app, int y);
void ui_answer(lc_app *app, lc_decision_kind kind, char *text);
void ui_answer_user(lc_app *app, char *answer);
/* A Ctrl-C still counting toward a stop counts from now (a step ended, a
 * question appeared): the notice on screen stays true for the whole window. */
void ui_ctrlc_renew(lc_app *app);

/* pane_diff.c */
void ui_diff_reload(lc_app *app);
void ui_diff_refresh(lc_app *app);
/* For the agent's workspace hooks: the changes in short (NULL: none), and
 * what the user reverted since the agent last asked (NULL: nothing; taken
 * with mu held). Both malloc'd, the caller frees. */
char *ui_diff_summary(lc_app *app);
char *ui_diff_take_reverted(lc_app *app);
/* The Diffs pane's question in the input line (UI_IN_PANE): its prompt, and
 * the text the user sent (Esc sends nothing). */
const char *ui_diff_prompt(lc_app *app);
void ui_diff_prompt_done(lc_app *app, const char *text);

/* diff_line.c: one line of a hunk, its text from display column `left` on */
/* Columns before a line's text: its number, a space, its +/- mark. */
int ui_diff_gutter(const lc_diff_file *f);
/* pair: the changed line this one replaces or is replaced by (from
 * ui_diff_line_pair), or NULL; the words that differ from it are drawn in
 * the diff_add_word or diff_del_word role. */
void ui_diff_line_draw(lc_app *app, int y, ui_rect r, const lc_diff_file *f, const lc_diff_line *ln, int left,
                       const lc_diff_line *pair);
/* In a run of removed lines followed by added ones, the i-th removed line
 * pairs with the i-th added line; NULL for a line without a pair. */
const lc_diff_line *ui_diff_line_pair(const lc_diff_hunk *h, size_t i);
/* The offset that brings the line's end into view in a row w wide; 0 when
 * it fits as it is. */
int ui_diff_line_end_left(const lc_diff_file *f, const lc_diff_line *ln, int w);

/* app.c: the model-error question: r, m (then a name), q. */
unsigned ui_model_failed_key(lc_app *app, int key);
void ui_model_pick_set(lc_app *app, ui_model_pick pick, char *name);

/* status.c */
/* What an agent event changes in the status (step, state, tokens, the
 * Ctrl-C window); before the panes see it. */
void ui_status_event(lc_app *app, const ui_event *e);
void ui_status_draw(lc_app *app, int y);
void ui_input_draw(lc_app *app, int y);
/* The input line owns its model (what it is open for, the text, the
 * cursor, the history); the rest of the UI opens it for a purpose and asks
 * what it is open for. */
ui_input_line *ui_input_new(void);
void ui_input_free(ui_input_line *in);
ui_input ui_input_mode(const lc_app *app); /* UI_IN_NONE: closed */
/* Opens it for mode with text (NULL: empty), the cursor at the end. */
void ui_input_start(lc_app *app, ui_input mode, const char *text);
/* What an open line is for changes, its text stays; UI_IN_NONE closes it. */
void ui_input_set_mode(lc_app *app, ui_input mode);
unsigned ui_input_key(lc_app *app, int key);
/* Opens the input line fitting the moment (task, answer, message). */
void ui_input_open(lc_app *app);
/* Pasted text (sanitized, newlines kept) into the input line, opening it. */
void ui_input_paste(lc_app *app, const char *text, size_t len, uint64_t cut);
/* Ctrl-C in the input line: clears its text into the history. false when
 * it was empty already. */
bool ui_input_clear(lc_app *app);
void ui_help_draw(lc_app *app, ui_rect r);
/* Keys while the help is open: scrolling keys scroll it, any other closes it. */
unsigned ui_help_key(lc_app *app, int key);

/* pane_grants.c: the grants and rules panel (W), drawn over the panes like
 * the help: each one with what it matches and where it came from; x revokes
 * the one under the cursor (a rule of the user's file: for this session). */
void ui_grants_open(lc_app *app);
void ui_grants_close(lc_app *app);
void ui_grants_draw(lc_app *app, ui_rect r);
unsigned ui_grants_key(lc_app *app, int key);

/* script.c: LITECODE_UI_SCRIPT, run from lc_ui_run */
int ui_script_run(lc_app *app, const char *path);

/* python highlighting (pane_code.c) */
int ui_py_highlight(const char *s, size_t len, int state, uint8_t *roles);

#endif
