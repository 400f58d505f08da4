/* --print-config and the list of loosened settings. The printed text is
 * YAML the loader reads back, and every string in it is quoted so that a
 * hostile value from a project file cannot put control bytes on a terminal. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

#define COMMENT_COLUMN 44

static bool looks_special(const char *s)
{
    static const char *const words[] = {"null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    char *end;
    (void)strtod(s, &end);
    return end != s && *end == '\0';
}

/* Plain when unambiguous, double-quoted with escapes otherwise. */
static void put_scalar(lc_buf *out, const char *s)
{
    bool plain = *s && !strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) && s[strlen(s) - 1] != ':' && !looks_special(s);
    for (const char *p = s; plain && *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_./:+-=", *p))
            plain = false;
    if (plain) {
        lc_buf_puts(out, s);
        return;
    }
    lc_buf_putc(out, '"');
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        uint32_t cp;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        if (n == 0) { /* values are checked as UTF-8; keep it safe anyway */
            lc_buf_printf(out, "\\x%02x", ch);
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            lc_buf_printf(out, "\\%c", (char)cp);
        else if (cp == '\n')
            lc_buf_puts(out, "\\n");
        else if (cp == '\t')
            lc_buf_puts(out, "\\t");
        else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            lc_buf_printf(out, "\\x%02x", (unsigned)cp);
        else if (cp == 0x2028 || cp == 0x2029)
            lc_buf_printf(out, "\\u%04x", (unsigned)cp);
        else
            lc_buf_append(out, s + i, n);
        i += n;
    }
    lc_buf_putc(out, '"');
}

static void put_value(lc_buf *out, const lc_config *c, const lc_config_key *k)
{
    const void *f = (const char *)c + k->offset;
    switch (k->type) {
    case LC_CFGT_STR:
    case LC_CFGT_STR_NULL:
    case LC_CFGT_TEXT:
    case LC_CFGT_CHOICE: {
        const char *s = *(char *const *)f;
        if (s)
            put_scalar(out, s);
        else
            lc_buf_puts(out, "null");
        break;
    }
    case LC_CFGT_INT: lc_buf_printf(out, "%d", *(const int *)f); break;
    case LC_CFGT_DOUBLE: lc_buf_printf(out, "%g", *(const double *)f); break;
    case LC_CFGT_PRICE:
        if (*(const double *)f < 0)
            lc_buf_puts(out, "null");
        else
            lc_buf_printf(out, "%g", *(const double *)f);
        break;
    case LC_CFGT_BOOL:
    case LC_CFGT_NETWORK: lc_buf_puts(out, *(const bool *)f ? "true" : "false"); break;
    case LC_CFGT_SIZE: {
        char sz[32];
        lc_format_size(*(const int64_t *)f, sz, sizeof sz);
        lc_buf_puts(out, sz);
        break;
    }
    case LC_CFGT_ENGINE: lc_buf_puts(out, lc_engine_kind_name(*(const lc_engine_kind *)f)); break;
    case LC_CFGT_AGENT: lc_buf_puts(out, lc_agent_type_name(*(const lc_agent_type *)f)); break;
    case LC_CFGT_WORKSPACE: lc_buf_puts(out, *(const bool *)f ? "ro" : "rw"); break;
    case LC_CFGT_LIST:
    case LC_CFGT_MAP: {
        const lc_strv *sv = f;
        bool map = k->type == LC_CFGT_MAP;
        lc_buf_putc(out, map ? '{' : '[');
        for (size_t i = 0; i < sv->n; i++) {
            if (i)
                lc_buf_puts(out, ", ");
            if (map) {
                const char *eq = strchr(sv->v[i], '=');
                char *name = lc_xstrndup(sv->v[i], eq ? (size_t)(eq - sv->v[i]) : strlen(sv->v[i]));
                put_scalar(out, name);
                free(name);
                lc_buf_puts(out, ": ");
                put_scalar(out, eq ? eq + 1 : "");
            } else {
                put_scalar(out, sv->v[i]);
            }
        }
        lc_buf_putc(out, map ? '}' : ']');
        break;
    }
    }
}

void lc_config_print_value(const lc_config *c, lc_config_key_id id, lc_buf *out)
{
    if (id >= 0 && id < LC_CFG__COUNT)
        put_value(out, c, &lc_config_keys()[id]);
}

void lc_config_print(const lc_config *c, lc_buf *out)
{
    const lc_config_key *keys = lc_config_keys();
    const char *section = NULL;
    lc_buf_puts(out, "# litecode-tui configuration after defaults, template, files, environment and flags.\n");
    lc_strv loose = LC_STRV_INIT;
    lc_config_loosened(c, &loose);
    for (size_t i = 0; i < loose.n; i++)
        lc_buf_printf(out, "# looser than the defaults: %s\n", loose.v[i]);
    lc_strv_free(&loose);
    for (int i = 0; i < LC_CFG__COUNT; i++) {
        const lc_config_key *k = &keys[i];
        if (!section || strcmp(section, k->section) != 0) {
            section = k->section;
            lc_buf_printf(out, "%s:\n", section);
        }
        size_t start = out->len;
        lc_buf_printf(out, "  %s: ", k->name);
        put_value(out, c, k);
        size_t width = out->len - start;
        lc_buf_putc(out, ' ');
        for (size_t w = width + 1; w < COMMENT_COLUMN; w++)
            lc_buf_putc(out, ' ');
        char origin[600];
        lc_config_origin_describe(c, k->id, origin, sizeof origin);
        lc_buf_puts(out, "# from ");
        lc_text_sanitize(origin, strlen(origin), 0, out);
        lc_buf_putc(out, '\n');
    }
    /* mcp.servers is outside the key table: shown as comments, with the
     * names of its variables but not their values (tokens, often). */
    for (size_t i = 0; i < c->mcp.n; i++) {
        const lc_mcp_server_config *s = &c->mcp.v[i];
        if (i == 0)
            lc_buf_puts(out, "# mcp.servers (your own config file only; variable values not shown):\n");
        lc_buf_printf(out, "#   %s: command [", s->name);
        for (size_t k = 0; k < s->command.n; k++) {
            if (k)
                lc_buf_puts(out, ", ");
            lc_text_sanitize(s->command.v[k], strlen(s->command.v[k]), 0, out);
        }
        lc_buf_puts(out, "]");
        for (size_t k = 0; k < s->env.n; k++) {
            const char *eq = strchr(s->env.v[k], '=');
            lc_buf_puts(out, k ? ", " : ", env ");
            lc_text_sanitize(s->env.v[k], eq ? (size_t)(eq - s->env.v[k]) : strlen(s->env.v[k]), 0, out);
        }
        if (s->timeout_s)
            lc_buf_printf(out, ", timeout %d", s->timeout_s);
        lc_buf_puts(out, " # from ");
        lc_text_sanitize(s->origin ? s->origin : "?", strlen(s->origin ? s->origin : "?"), 0, out);
        lc_buf_putc(out, '\n');
    }
}

static void loosened_line(lc_strv *out, const lc_config *c, lc_config_key_id id, const char *what)
{
    char origin[600];
    lc_config_origin_describe(c, id, origin, sizeof origin);
    lc_buf line = LC_BUF_INIT;
    lc_buf_printf(&line, "%s (", what);
    lc_text_sanitize(origin, strlen(origin), 0, &line);
    lc_buf_putc(&line, ')');
    lc_strv_push_owned(out, lc_buf_detach(&line));
}

void lc_config_loosened(const lc_config *c, lc_strv *out)
{
    if (c->container.network)
        loosened_line(out, c, LC_CFG_CONTAINER_NETWORK, "network on");
    if (c->security.auto_approve)
        loosened_line(out, c, LC_CFG_SECURITY_AUTO_APPROVE, "auto-approve on");
    if (lc_strv_contains(&c->container.authorized_imports, "*"))
        loosened_line(out, c, LC_CFG_CONTAINER_IMPORTS, "every import allowed");
    if (c->security.allow_local_code_execution)
        loosened_line(out, c, LC_CFG_SECURITY_LOCAL_EXEC, "local code execution requested (refused)");
}
