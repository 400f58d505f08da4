/* The grants panel (W): every rule and grant that can let a step run (or
 * stop it) without the user's word, with what it matches and where it came
 * from (the user's config file and line, the question at step N, or saved
 * from the question), drawn over the panes like the help. x revokes the one
 * under the cursor for the rest of the session: a grant is gone, a rule of
 * the user's file is off until the next session (the file is not changed).
 * The list is the agent's (lc_agent_rules), read again at every draw, so it
 * is never stale; the agent records each revocation (grant_revoked) before
 * its next decision, and the Conversation says it at once. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

struct ui_grants {
    lc_agent_rule_info *v; /* the agent's list at the last draw or key */
    size_t n;
    size_t cur;            /* the entry under the cursor */
    size_t top;            /* the first entry drawn */
};

static void reload(lc_app *app, struct ui_grants *g)
{
    lc_agent_rules_free(g->v, g->n);
    g->n = lc_agent_rules(app->agent, &g->v);
    if (g->cur >= g->n)
        g->cur = g->n ? g->n - 1 : 0;
}

void ui_grants_open(lc_app *app)
{
    if (app->grants)
        return;
    app->grants = lc_xcalloc(1, sizeof *app->grants);
    reload(app, app->grants);
}

void ui_grants_close(lc_app *app)
{
    if (!app->grants)
        return;
    lc_agent_rules_free(app->grants->v, app->grants->n);
    free(app->grants);
    app->grants = NULL;
}

static const char *action_word(lc_rule_action a)
{
    return a == LC_RULE_DENY ? "deny" : a == LC_RULE_ASK ? "ask" : "allow";
}

/* What the rule matches (its patterns: the text between "NAME:" and the
 * first " | ") and its why, when it has one. */
static void matches_of(const char *text, lc_buf *out)
{
    const char *colon = strchr(text, ':');
    const char *from = colon ? colon + 1 : text;
    while (*from == ' ')
        from++;
    const char *bar = strstr(from, " | ");
    lc_buf_append(out, from, bar ? (size_t)(bar - from) : strlen(from));
    for (const char *seg = bar; seg; seg = strstr(seg + 3, " | ")) {
        if (strncmp(seg + 3, "why:", 4) == 0) {
            const char *end = strstr(seg + 3, " | ");
            lc_buf_puts(out, "   why:");
            lc_buf_append(out, seg + 7, end ? (size_t)(end - seg - 7) : strlen(seg + 7));
        }
    }
}

static const char *mode_text(lc_app *app)
{
    if (atomic_load(&app->auto_approve))
        return "all: every step runs without asking (X turns it off); deny and ask rules still hold";
    if (app->approve_reads)
        return "reads: steps the static check finds read-only run without asking; the rest ask";
    return "ask: every step no rule decides asks you";
}

void ui_grants_draw(lc_app *app, ui_rect r)
{
    struct ui_grants *g = app->grants;
    reload(app, g);
    attr_t n = app->theme.attr[UI_R_HELP], t = app->theme.attr[UI_R_TITLE_FOCUS];
    for (int y = 0; y < r.h; y++)
        ui_fill(app, r.y + y, r.x, r.w, n);
    ui_fill(app, r.y, r.x, r.w, t);
    char rev[32], close[32], gk[32];
    ui_keymap_keys_text(&app->keys, UI_A_REVOKE_ONE, rev, sizeof rev);
    ui_keymap_keys_text(&app->keys, UI_A_GRANTS_CLOSE, close, sizeof close);
    ui_keymap_keys_text(&app->keys, UI_A_GRANTS, gk, sizeof gk);
    ui_draw_fmt(app, r.y, r.x + 1, r.w - 1, t, "Grants and rules (j/k move, %s revokes, %s or %s closes)", rev, close,
                gk);
    ui_draw_fmt(app, r.y + 1, r.x + 1, r.w - 1, app->theme.attr[UI_R_PROMPT], "Mode %s", mode_text(app));
    int y0 = r.y + 3, rows = r.h - 3;
    if (g->n == 0) {
        char w[32], p[32];
        ui_keymap_keys_text(&app->keys, UI_A_GRANT, w, sizeof w);
        ui_keymap_keys_text(&app->keys, UI_A_GRANT_SAVE, p, sizeof p);
        ui_draw_fmt(app, y0, r.x + 1, r.w - 1, n,
                    "No rules and no grants. At a step's question, %s allows steps like it for this session, %s "
                    "also saves that rule to your config; approval.rules in the config holds your own.",
                    w, p);
        return;
    }
    /* Three rows an entry: the rule, what it matches, and a gap. */
    size_t fit = rows >= 3 ? (size_t)rows / 3 : 1;
    if (g->cur < g->top)
        g->top = g->cur;
    if (g->cur >= g->top + fit)
        g->top = g->cur + 1 - fit;
    lc_buf m = LC_BUF_INIT;
    for (size_t i = g->top; i < g->n && (int)(i - g->top) * 3 < rows; i++) {
        const lc_agent_rule_info *e = &g->v[i];
        int y = y0 + (int)(i - g->top) * 3;
        attr_t at = i == g->cur ? app->theme.attr[UI_R_CURSOR] : e->off ? app->theme.attr[UI_R_OBSERVATION] : n;
        if (i == g->cur)
            ui_fill(app, y, r.x, r.w, at);
        const char *state = !e->off ? "" : e->grant ? "  [revoked]" : "  [off for this session]";
        ui_draw_fmt(app, y, r.x + 1, r.w - 1, at, "%s %-5s %-20s %s%s", i == g->cur ? ">" : " ",
                    action_word(e->action), e->name, e->origin, state);
        lc_buf_reset(&m);
        matches_of(e->text, &m);
        ui_draw_fmt(app, y + 1, r.x + 1, r.w - 1, e->off ? app->theme.attr[UI_R_OBSERVATION] : n,
                    "        matches: %s", lc_buf_cstr(&m));
    }
    lc_buf_free(&m);
}

static void revoke(lc_app *app, struct ui_grants *g)
{
    if (g->cur >= g->n) {
        ui_flash(app, "nothing to revoke");
        return;
    }
    const lc_agent_rule_info *e = &g->v[g->cur];
    lc_err err = {0};
    if (lc_agent_rule_revoke(app->agent, e->name, &err) != LC_OK) {
        ui_flash(app, "%s", err.msg);
        return;
    }
    if (e->grant)
        ui_conv_addf(app, UI_R_INFO, "you revoked %s (%s): steps it allowed ask again", e->name, e->origin);
    else
        ui_conv_addf(app, UI_R_INFO, "you turned rule %s off for this session (%s keeps it)", e->name, e->origin);
    ui_flash(app, "%s is off for the rest of this session", e->name);
    reload(app, g);
}

unsigned ui_grants_key(lc_app *app, int key)
{
    struct ui_grants *g = app->grants;
    reload(app, g);
    ui_action a = ui_keymap_lookup(&app->keys, UI_SC_GRANTS, key);
    ui_action global = ui_keymap_lookup(&app->keys, UI_SC_GLOBAL, key);
    if (a == UI_A_GRANTS_CLOSE || global == UI_A_GRANTS) {
        ui_grants_close(app);
        return UI_REDRAW;
    }
    if (global == UI_A_INTERRUPT || global == UI_A_HELP) { /* the panel gives way; the key does its work */
        ui_grants_close(app);
        return ui_handle_key(app, key);
    }
    if (a == UI_A_REVOKE_ONE) {
        revoke(app, g);
        return UI_REDRAW;
    }
    switch (ui_keymap_lookup(&app->keys, UI_SC_SCROLL, key)) {
    case UI_A_UP:
    case UI_A_PAGE_UP:
        g->cur = g->cur ? g->cur - 1 : 0;
        return UI_REDRAW;
    case UI_A_DOWN:
    case UI_A_PAGE_DOWN:
        if (g->cur + 1 < g->n)
            g->cur++;
        return UI_REDRAW;
    case UI_A_TOP:
        g->cur = 0;
        return UI_REDRAW;
    case UI_A_BOTTOM:
        g->cur = g->n ? g->n - 1 : 0;
        return UI_REDRAW;
    default:
        break;
    }
    char nm[32];
    ui_key_name(key, nm, sizeof nm);
    char rev[32], close[32];
    ui_keymap_keys_text(&app->keys, UI_A_REVOKE_ONE, rev, sizeof rev);
    ui_keymap_keys_text(&app->keys, UI_A_GRANTS_CLOSE, close, sizeof close);
    ui_flash(app, "%s does nothing in the grants panel: j/k move, %s revokes, %s closes", nm, rev, close);
    return UI_REDRAW;
}
