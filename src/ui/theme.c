/* Themes: YAML files mapping semantic roles to colours and attributes. A
 * widget asks for a role, never a colour. Colours are 0-255 or names; a
 * terminal with 16 or 8 colours gets the nearest one it has, and NO_COLOR
 * (or a terminal without colour) gets attributes only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "ui/ui_int.h"

static const char *const role_names[UI_R_COUNT] = {
#define UI_ROLE_NAME(id, name, fg, bg, mono) name,
    UI_ROLES(UI_ROLE_NAME)
#undef UI_ROLE_NAME
};

static const ui_style role_defaults[UI_R_COUNT] = {
#define UI_ROLE_DEF(id, name, fg, bg, mono) {fg, bg, 0},
    UI_ROLES(UI_ROLE_DEF)
#undef UI_ROLE_DEF
};

static const attr_t role_mono[UI_R_COUNT] = {
#define UI_ROLE_MONO(id, name, fg, bg, mono) mono,
    UI_ROLES(UI_ROLE_MONO)
#undef UI_ROLE_MONO
};

const char *ui_role_name(ui_role r)
{
    return r < UI_R_COUNT ? role_names[r] : "?";
}

static const char *const colour_names[16] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright_black", "bright_red", "bright_green", "bright_yellow",
    "bright_blue", "bright_magenta", "bright_cyan", "bright_white",
};

static int parse_colour(const char *s, short *out)
{
    if (strcmp(s, "default") == 0 || strcmp(s, "none") == 0) {
        *out = -1;
        return 0;
    }
    for (int i = 0; i < 16; i++)
        if (strcmp(s, colour_names[i]) == 0) {
            *out = (short)i;
            return 0;
        }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 255)
        return -1;
    *out = (short)v;
    return 0;
}

static int parse_attr(const char *s, attr_t *out)
{
    static const struct { const char *name; attr_t a; } attrs[] = {
        {"bold", A_BOLD}, {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
        {"dim", A_DIM}, {"italic", A_ITALIC}, {"normal", 0},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strcmp(s, attrs[i].name) == 0) {
            *out |= attrs[i].a;
            return 0;
        }
    return -1;
}

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static int bad(lc_err *err, const char *path, const yaml_node_t *n, const char *what)
{
    return lc_err_set(err, LC_EINVAL, "%s:%zu:%zu: %s", path, n ? n->start_mark.line + 1 : 0,
                      n ? n->start_mark.column + 1 : 0, what);
}

static int load_role(yaml_document_t *doc, yaml_node_t *v, ui_style *st, const char *path,
                     lc_err *err)
{
    if (v->type != YAML_MAPPING_NODE)
        return bad(err, path, v, "a role needs a mapping like {fg: red, bg: default, attrs: [bold]}");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *x = yaml_document_get_node(doc, p->value);
        if (!k || k->type != YAML_SCALAR_NODE || !x)
            return bad(err, path, k, "expected fg, bg or attrs");
        const char *key = (const char *)k->data.scalar.value;
        if (strcmp(key, "fg") == 0 || strcmp(key, "bg") == 0) {
            if (x->type != YAML_SCALAR_NODE ||
                parse_colour((char *)x->data.scalar.value, strcmp(key, "fg") == 0 ? &st->fg : &st->bg))
                return bad(err, path, x,
                           "a colour is a number 0-255, default, or a name such as red or bright_blue");
        } else if (strcmp(key, "attrs") == 0) {
            st->attrs = 0;
            if (x->type == YAML_SCALAR_NODE) {
                if (parse_attr((char *)x->data.scalar.value, &st->attrs))
                    return bad(err, path, x, "attributes are bold, underline, reverse, dim, italic");
                continue;
            }
            if (x->type != YAML_SEQUENCE_NODE)
                return bad(err, path, x, "attrs is a list such as [bold, underline]");
            for (yaml_node_item_t *it = x->data.sequence.items.start; it < x->data.sequence.items.top; it++) {
                yaml_node_t *a = yaml_document_get_node(doc, *it);
                if (!a || a->type != YAML_SCALAR_NODE || parse_attr((char *)a->data.scalar.value, &st->attrs))
                    return bad(err, path, a, "attributes are bold, underline, reverse, dim, italic");
            }
        } else {
            return bad(err, path, k, "unknown field (use fg, bg, attrs)");
        }
    }
    return LC_OK;
}

static int load_file(ui_theme *t, const char *path, lc_err *err)
{
    lc_buf text = LC_BUF_INIT;
    if (lc_file_read(path, 1 << 20, &text, err) != LC_OK) {
        lc_buf_free(&text);
        return err ? err->code : LC_EIO;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)lc_buf_cstr(&text), text.len);
    int rc = LC_OK;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = lc_err_set(err, LC_EINVAL, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                        parser.problem_mark.column + 1, parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete(&parser);
        lc_buf_free(&text);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *name = map_get(&doc, root, "name");
    yaml_node_t *roles = map_get(&doc, root, "roles");
    if (!root || root->type != YAML_MAPPING_NODE || !roles || roles->type != YAML_MAPPING_NODE) {
        rc = bad(err, path, root, "a theme is a mapping with `name:` and `roles:` (role: {fg, bg, attrs})");
        goto out;
    }
    if (name && name->type == YAML_SCALAR_NODE)
        snprintf(t->name, sizeof t->name, "%s", (char *)name->data.scalar.value);
    for (yaml_node_pair_t *p = roles->data.mapping.pairs.start; p < roles->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        int r = -1;
        for (int i = 0; k && k->type == YAML_SCALAR_NODE && i < UI_R_COUNT; i++)
            if (strcmp((char *)k->data.scalar.value, role_names[i]) == 0)
                r = i;
        if (r < 0 || !v) {
            rc = bad(err, path, k, "unknown role (see docs/user-guide.md, Themes, for the list)");
            goto out;
        }
        rc = load_role(&doc, v, &t->style[r], path, err);
        if (rc != LC_OK)
            goto out;
    }
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    lc_buf_free(&text);
    return rc;
}

static bool plain_name(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

int ui_theme_load(ui_theme *t, const char *name_or_path, const char *themes_dir, lc_err *err)
{
    memset(t, 0, sizeof *t);
    memcpy(t->style, role_defaults, sizeof t->style);
    snprintf(t->name, sizeof t->name, "built-in");
    if (!name_or_path || !*name_or_path)
        name_or_path = "dark";
    if (plain_name(name_or_path)) {
        char *path = lc_xasprintf("%s/%s.yaml", themes_dir ? themes_dir : "themes", name_or_path);
        int rc = load_file(t, path, err);
        if (rc == LC_ENOTFOUND || (rc != LC_OK && access(path, F_OK) != 0))
            rc = lc_err_set(err, LC_ENOTFOUND,
                            "theme \"%s\" not found as %s: use dark, light, high-contrast, solarized, "
                            "monochrome or the path of a theme file",
                            name_or_path, path);
        free(path);
        return rc;
    }
    return load_file(t, name_or_path, err);
}

/* The nearest of the 16 basic colours for a 256-colour index. */
static short to16(short c)
{
    if (c < 16)
        return c;
    if (c >= 232) {
        int g = c - 232;
        return g < 6 ? 0 : g < 14 ? 8 : g < 20 ? 7 : 15;
    }
    int i = c - 16, r = i / 36, g = (i / 6) % 6, b = i % 6;
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    short base = (short)((r > 2 ? 1 : 0) | (g > 2 ? 2 : 0) | (b > 2 ? 4 : 0));
    if (base == 0 && mx > 0)
        return 8;
    return (short)(base + (mx >= 4 ? 8 : 0));
}

void ui_theme_apply(ui_theme *t, int colors, bool defaults)
{
    for (int r = 0; r < UI_R_COUNT; r++) {
        const ui_style *st = &t->style[r];
        if (colors <= 0) {
            t->attr[r] = role_mono[r] | st->attrs;
            continue;
        }
        short fg = st->fg, bg = st->bg;
        attr_t extra = st->attrs;
        if (colors < 256) {
            fg = fg >= 0 ? to16(fg) : fg;
            bg = bg >= 0 ? to16(bg) : bg;
        }
        if (colors < 16) {
            if (fg >= 8) {
                fg = (short)(fg - 8);
                extra |= A_BOLD; /* bright colours become bold on 8-colour terminals */
            }
            if (bg >= 8)
                bg = (short)(bg - 8);
        }
        if (!defaults) {
            fg = fg < 0 ? 7 : fg;
            bg = bg < 0 ? 0 : bg;
        }
        if (fg >= 0 && fg == bg) /* a fallback must never hide text */
            fg = bg == 0 ? 7 : 0;
        init_pair((short)(r + 1), fg, bg);
        t->attr[r] = COLOR_PAIR(r + 1) | extra;
    }
}

int lc_ui_theme_check(const char *name_or_path, const char *themes_dir, lc_err *err)
{
    ui_theme t;
    return ui_theme_load(&t, name_or_path, themes_dir, err);
}
