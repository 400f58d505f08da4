/* The keymap: UI_ACTIONS (ui_int.h) is the one table of actions, default
 * keys and help text. It makes the bindings, the help screen, the approval
 * bar's key hints and the Keys section of the user guide; the config's
 * ui.keys rebinds actions by name. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

typedef struct action_def {
    const char *name;
    ui_scope scope;
    const char *keys;
    const char *help;
} action_def;

static const action_def actions[UI_A_COUNT] = {
    [UI_A_NONE] = {"none", UI_SC_GLOBAL, "", ""},
#define UI_ACTION_DEF(id, name, scope, keys, help) [UI_A_##id] = {name, UI_SC_##scope, keys, help},
    UI_ACTIONS(UI_ACTION_DEF)
#undef UI_ACTION_DEF
};

const char *ui_action_name(ui_action a) { return a < UI_A_COUNT ? actions[a].name : "?"; }
const char *ui_action_help(ui_action a) { return a < UI_A_COUNT ? actions[a].help : ""; }
ui_scope ui_action_scope(ui_action a) { return a < UI_A_COUNT ? actions[a].scope : UI_SC_GLOBAL; }

static const struct { const char *name; int key; } named[] = {
    {"Enter", '\n'}, {"Tab", '\t'}, {"S-Tab", UI_KFN(KEY_BTAB)}, {"Esc", 27},
    {"BS", UI_KFN(KEY_BACKSPACE)}, {"Space", ' '}, {"Up", UI_KFN(KEY_UP)},
    {"Down", UI_KFN(KEY_DOWN)}, {"Left", UI_KFN(KEY_LEFT)}, {"Right", UI_KFN(KEY_RIGHT)},
    {"PgUp", UI_KFN(KEY_PPAGE)}, {"PgDn", UI_KFN(KEY_NPAGE)}, {"Home", UI_KFN(KEY_HOME)},
    {"End", UI_KFN(KEY_END)}, {"Del", UI_KFN(KEY_DC)}, {"lt", '<'},
    /* For scripts and tests: what a terminal's bracketed paste markers become. */
    {"PasteBegin", UI_KEY_PASTE_BEGIN}, {"PasteEnd", UI_KEY_PASTE_END}, {"M-Enter", UI_KEY_NEWLINE},
};

int ui_key_parse(const char *s, size_t *used)
{
    uint32_t cp;
    if (s[0] != '<' || s[1] == '\0' || s[1] == ' ') {
        size_t n = lc_utf8_decode(s, strlen(s), &cp);
        if (n == 0)
            return -1;
        *used = n;
        return (int)cp;
    }
    const char *end = strchr(s, '>');
    if (!end)
        return -1;
    size_t len = (size_t)(end - s - 1);
    const char *nm = s + 1;
    *used = len + 2;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strlen(named[i].name) == len && strncmp(nm, named[i].name, len) == 0)
            return named[i].key;
    static const char *const mouse[] = {"Click:", "WheelUp:", "WheelDown:"};
    for (int k = 0; k < 3; k++) {
        size_t ml = strlen(mouse[k]);
        int y, x, n = 0;
        if (len > ml && strncmp(nm, mouse[k], ml) == 0 && sscanf(nm + ml, "%d:%d%n", &y, &x, &n) == 2 &&
            (size_t)n == len - ml && y >= 0 && y < 512 && x >= 0 && x < 512)
            return UI_KEY_MOUSE(k, y, x);
    }
    if (len == 3 && nm[0] == 'C' && nm[1] == '-' && isalpha((unsigned char)nm[2]))
        return tolower((unsigned char)nm[2]) - 'a' + 1;
    if (len >= 2 && len <= 3 && nm[0] == 'F' && isdigit((unsigned char)nm[1])) {
        int f = atoi(nm + 1);
        if (f >= 1 && f <= 12)
            return UI_KFN(KEY_F(f));
    }
    return -1;
}

void ui_key_name(int key, char *out, size_t outsz)
{
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].key == key && key != '<') {
            snprintf(out, outsz, "%s", named[i].name);
            return;
        }
    if (key == '\r' || key == UI_KFN(KEY_ENTER)) {
        snprintf(out, outsz, "Enter");
    } else if (key == 127) {
        snprintf(out, outsz, "BS");
    } else if (key >= 1 && key <= 26) {
        snprintf(out, outsz, "C-%c", 'a' + key - 1);
    } else if (key >= UI_KFN(KEY_F(1)) && key <= UI_KFN(KEY_F(12))) {
        snprintf(out, outsz, "F%d", key - UI_KFN(KEY_F(0)));
    } else if (key > 32 && key < 0x110000) {
        char buf[8] = {0};
        wchar_t wc = (wchar_t)key;
        mbstate_t st = {0};
        size_t n = wcrtomb(buf, wc, &st);
        snprintf(out, outsz, "%s", n == (size_t)-1 ? "?" : buf);
    } else {
        snprintf(out, outsz, "key%d", key);
    }
}

static int parse_keys(const char *spec, int keys[UI_KMAX])
{
    for (int i = 0; i < UI_KMAX; i++)
        keys[i] = 0;
    int n = 0;
    const char *p = spec;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t used = 0;
        int k = ui_key_parse(p, &used);
        if (k < 0 || (p[used] != ' ' && p[used] != '\0'))
            return -1;
        if (n < UI_KMAX)
            keys[n++] = k;
        p += used;
    }
    return n;
}

void ui_keymap_defaults(ui_keymap *km)
{
    memset(km, 0, sizeof *km);
    for (int a = 1; a < UI_A_COUNT; a++)
        parse_keys(actions[a].keys, km->keys[a]);
}

/* The question's keys must mean one thing whatever has the focus: a key
 * that also scrolls or works in a pane would answer the question for a user
 * who meant the pane (n for "next hunk" declining the step). */
static int check_question_keys(const ui_keymap *km, lc_err *err)
{
    for (int a = 1; a < UI_A_COUNT; a++) {
        if (actions[a].scope != UI_SC_APPROVAL)
            continue;
        for (int i = 0; i < UI_KMAX && km->keys[a][i]; i++) {
            for (int b = 1; b < UI_A_COUNT; b++) {
                if (b == a || actions[b].scope == UI_SC_INPUT)
                    continue; /* the open input line takes its keys before the question sees any */
                for (int j = 0; j < UI_KMAX && km->keys[b][j]; j++) {
                    if (km->keys[b][j] != km->keys[a][i])
                        continue;
                    char nm[32];
                    ui_key_name(km->keys[a][i], nm, sizeof nm);
                    return lc_err_set(err, LC_EINVAL,
                                      "ui.keys: %s is bound to %s (the step's question) and to %s; a question "
                                      "key must be one no other action uses: bind one of them to another key",
                                      nm, actions[a].name, actions[b].name);
                }
            }
        }
    }
    return LC_OK;
}

int ui_keymap_bind(ui_keymap *km, const lc_strv *pairs, lc_err *err)
{
    for (size_t i = 0; pairs && i < pairs->n; i++) {
        const char *eq = strchr(pairs->v[i], '=');
        if (!eq)
            return lc_err_set(err, LC_EINVAL, "ui.keys: \"%s\" is not action=key", pairs->v[i]);
        size_t nlen = (size_t)(eq - pairs->v[i]);
        int a = 0;
        for (int j = 1; j < UI_A_COUNT; j++)
            if (strlen(actions[j].name) == nlen && strncmp(actions[j].name, pairs->v[i], nlen) == 0)
                a = j;
        if (!a)
            return lc_err_set(err, LC_EINVAL,
                              "ui.keys: no action \"%.*s\" (docs/user-guide.md, Keys, lists them)",
                              (int)nlen, pairs->v[i]);
        int keys[UI_KMAX];
        int n = parse_keys(eq + 1, keys);
        for (int k = 0; k < n; k++)
            if (keys[k] == UI_KEY_PASTE_BEGIN || keys[k] == UI_KEY_PASTE_END || UI_IS_MOUSE(keys[k]))
                n = -1;
        if (n <= 0)
            return lc_err_set(err, LC_EINVAL,
                              "ui.keys: \"%s\" is not a key: use a character or a name such as "
                              "<C-x>, <F5>, <Tab>, <Enter>, <Up>",
                              eq + 1);
        memcpy(km->keys[a], keys, sizeof keys);
    }
    return check_question_keys(km, err);
}

int lc_ui_keys_check(const lc_strv *pairs, lc_err *err)
{
    ui_keymap km;
    ui_keymap_defaults(&km);
    return ui_keymap_bind(&km, pairs, err);
}

ui_action ui_keymap_lookup(const ui_keymap *km, ui_scope scope, int key)
{
    if (key == '\r' || key == UI_KFN(KEY_ENTER))
        key = '\n';
    if (key == 127 || key == 8)
        key = UI_KFN(KEY_BACKSPACE);
    for (int a = 1; a < UI_A_COUNT; a++) {
        if (actions[a].scope != scope)
            continue;
        for (int i = 0; i < UI_KMAX && km->keys[a][i]; i++)
            if (km->keys[a][i] == key)
                return (ui_action)a;
    }
    return UI_A_NONE;
}

void ui_keymap_keys_text(const ui_keymap *km, ui_action a, char *out, size_t outsz)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < UI_KMAX && km->keys[a][i] && off < outsz; i++) {
        char nm[32];
        ui_key_name(km->keys[a][i], nm, sizeof nm);
        int n = snprintf(out + off, outsz - off, "%s%s", i ? "/" : "", nm);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

static const char *scope_title(ui_scope s)
{
    switch (s) {
    case UI_SC_GLOBAL: return "Everywhere";
    case UI_SC_SCROLL: return "Scrolling the focused pane";
    case UI_SC_APPROVAL: return "When a step waits for approval (keys no pane uses)";
    case UI_SC_DIFF: return "In the Diffs pane";
    case UI_SC_GRANTS: return "In the grants panel (W; j/k move)";
    case UI_SC_INPUT: return "In the input line (a message, a reason, an answer, the task)";
    }
    return "";
}

void lc_ui_keys_markdown(lc_buf *out)
{
    ui_keymap km;
    ui_keymap_defaults(&km);
    for (int s = UI_SC_GLOBAL; s <= UI_SC_LAST; s++) {
        lc_buf_printf(out, "### %s\n\n| Keys | Action | What it does |\n|---|---|---|\n",
                      scope_title((ui_scope)s));
        for (int a = 1; a < UI_A_COUNT; a++) {
            if (actions[a].scope != (ui_scope)s)
                continue;
            lc_buf_puts(out, "|");
            for (int i = 0; i < UI_KMAX && km.keys[a][i]; i++) {
                char nm[32];
                ui_key_name(km.keys[a][i], nm, sizeof nm);
                /* A '|' key would end the table cell. */
                lc_buf_printf(out, " `%s`", strcmp(nm, "|") == 0 ? "\\|" : nm);
            }
            lc_buf_printf(out, " | %s | %s |\n", actions[a].name, actions[a].help);
        }
        lc_buf_puts(out, "\n");
    }
}

/* The help is a line model like any pane's, so it scrolls on a small screen. */
static void help_lines(lc_app *app, ui_lines *l)
{
    ui_lines_clear(l);
    for (int s = UI_SC_GLOBAL; s <= UI_SC_LAST; s++) {
        if (s != UI_SC_GLOBAL)
            ui_lines_addf(l, UI_R_HELP, "%s", "");
        ui_lines_addf(l, UI_R_PROMPT, "%s", scope_title((ui_scope)s));
        for (int a = 1; a < UI_A_COUNT; a++) {
            if (actions[a].scope != (ui_scope)s)
                continue;
            char keys[128];
            ui_keymap_keys_text(&app->keys, (ui_action)a, keys, sizeof keys);
            ui_lines_addf(l, UI_R_HELP, "  %-16s %s", keys, actions[a].help);
        }
    }
}

void ui_help_draw(lc_app *app, ui_rect r)
{
    attr_t n = app->theme.attr[UI_R_HELP], t = app->theme.attr[UI_R_TITLE_FOCUS];
    for (int y = 0; y < r.h; y++)
        ui_fill(app, r.y + y, r.x, r.w, n);
    ui_fill(app, r.y, r.x, r.w, t);
    ui_draw_fmt(app, r.y, r.x + 1, r.w - 1, t, "Keys (? or Esc closes, j/k scroll; ui.keys in the config rebinds)");
    if (app->help_text.n == 0)
        help_lines(app, &app->help_text);
    ui_draw_lines(app, (ui_rect){r.y + 1, r.x + 1, r.h - 1, r.w - 1}, &app->help_text, &app->help_sc, true);
}

unsigned ui_help_key(lc_app *app, int key)
{
    ui_action a = ui_keymap_lookup(&app->keys, UI_SC_SCROLL, key);
    if (a != UI_A_NONE) {
        ui_scroll_rows_key(&app->help_sc, &app->help_text, a);
        return UI_REDRAW;
    }
    app->help = false;
    ui_lines_clear(&app->help_text);
    memset(&app->help_sc, 0, sizeof app->help_sc);
    return UI_REDRAW;
}
