/* The layout is data: a small tree of splits whose leaves are panes. Every
 * frame computes the rectangles from the tree and the screen size, so a
 * resize or a changed split needs no other bookkeeping.
 *
 *   +---------------+-------------+
 *   | Conversation  | Code        |
 *   |               +-------------+
 *   +---------------+ Output      |
 *   | Diffs         |             |
 *   +---------------+-------------+
 */
#include "ui/ui_int.h"

enum { LEAF = 0, SIDE = 1, STACK = 2 };
#define MIN_PCT 15
#define MAX_PCT 85

void ui_layout_default(ui_layout *lo)
{
    /* 0: root, side by side; 1: left stack; 2: right stack; 3-6: leaves. */
    lo->root = 0;
    lo->n[0] = (ui_node){SIDE, -1, 1, 2, -1, 55};
    lo->n[1] = (ui_node){STACK, -1, 3, 4, 0, 60};
    lo->n[2] = (ui_node){STACK, -1, 5, 6, 0, 50};
    lo->n[3] = (ui_node){LEAF, UI_P_CONV, -1, -1, 1, 0};
    lo->n[4] = (ui_node){LEAF, UI_P_DIFF, -1, -1, 1, 0};
    lo->n[5] = (ui_node){LEAF, UI_P_CODE, -1, -1, 2, 0};
    lo->n[6] = (ui_node){LEAF, UI_P_OUTPUT, -1, -1, 2, 0};
}

static void compute(const ui_layout *lo, int i, ui_rect r, ui_rect out[UI_P_COUNT])
{
    const ui_node *nd = &lo->n[i];
    if (nd->kind == LEAF) {
        out[nd->pane] = r;
        return;
    }
    ui_rect a = r, b = r;
    if (nd->kind == SIDE) {
        /* One column between the two for the separator. */
        int wa = (r.w - 1) * nd->pct / 100;
        a.w = wa;
        b.x = r.x + wa + 1;
        b.w = r.w - wa - 1;
    } else {
        int ha = r.h * nd->pct / 100;
        a.h = ha;
        b.y = r.y + ha;
        b.h = r.h - ha;
    }
    compute(lo, nd->a, a, out);
    compute(lo, nd->b, b, out);
}

void ui_layout_compute(const ui_layout *lo, ui_rect area, ui_rect out[UI_P_COUNT])
{
    compute(lo, lo->root, area, out);
}

void ui_layout_resize(ui_layout *lo, int pane, int delta)
{
    /* Every split above the pane gives it room, so it grows both ways. */
    for (int i = 0; i < UI_NODES; i++) {
        if (lo->n[i].kind != LEAF || lo->n[i].pane != pane)
            continue;
        for (int c = i; lo->n[c].parent >= 0; c = lo->n[c].parent) {
            ui_node *parent = &lo->n[lo->n[c].parent];
            int pct = parent->pct + (parent->a == c ? delta : -delta);
            parent->pct = pct < MIN_PCT ? MIN_PCT : pct > MAX_PCT ? MAX_PCT : pct;
        }
        return;
    }
}
