/* Model prices, for the cost shown beside the token counts: the config's
 * model.input_price and model.output_price, else the list prices of known
 * models. The table is a snapshot (US$ per million tokens, standard tier,
 * no caching or batch discounts); a price that changed is set in the config. */
#include <string.h>

#include "config/config.h"

typedef struct price {
    const char *provider; /* before the slash of the model name */
    const char *prefix;   /* the longest matching prefix wins */
    double input, output;
} price;

static const price table[] = {
    {"openai", "gpt-4o", 2.50, 10.00},
    {"openai", "gpt-4o-mini", 0.15, 0.60},
    {"openai", "gpt-4.1", 2.00, 8.00},
    {"openai", "gpt-4.1-mini", 0.40, 1.60},
    {"openai", "gpt-4.1-nano", 0.10, 0.40},
    {"openai", "gpt-5", 1.25, 10.00},
    {"openai", "gpt-5-mini", 0.25, 2.00},
    {"openai", "gpt-5-nano", 0.05, 0.40},
    {"openai", "o3", 2.00, 8.00},
    {"openai", "o3-mini", 1.10, 4.40},
    {"openai", "o4-mini", 1.10, 4.40},
    {"anthropic", "claude-3-haiku", 0.25, 1.25},
    {"anthropic", "claude-3-5-haiku", 0.80, 4.00},
    {"anthropic", "claude-3-5-sonnet", 3.00, 15.00},
    {"anthropic", "claude-3-7-sonnet", 3.00, 15.00},
    {"anthropic", "claude-haiku-4-5", 1.00, 5.00},
    {"anthropic", "claude-sonnet-4", 3.00, 15.00},
    {"anthropic", "claude-opus-4", 15.00, 75.00},
    {"anthropic", "claude-opus-4-5", 5.00, 25.00},
};

/* A model name's provider and the rest: "openai/gpt-4o" -> "openai", "gpt-4o". */
static bool split_name(const char *name, char *prov, size_t provsz, const char **model)
{
    const char *slash = name ? strchr(name, '/') : NULL;
    if (!slash || (size_t)(slash - name) >= provsz)
        return false;
    memcpy(prov, name, (size_t)(slash - name));
    prov[slash - name] = '\0';
    *model = slash + 1;
    return true;
}

static bool table_price(const lc_model_config *m, double *input, double *output)
{
    char prov[32];
    const char *model;
    if (!split_name(m->name, prov, sizeof prov, &model))
        return false;
    if (!strcmp(prov, "ollama")) { /* a local model: nothing is billed per token */
        *input = *output = 0;
        return true;
    }
    /* Another server behind base_url (a proxy, vLLM) bills by its own rules. */
    if (m->base_url && *m->base_url)
        return false;
    const price *best = NULL;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        const price *p = &table[i];
        size_t n = strlen(p->prefix);
        if (strcmp(prov, p->provider) != 0 || strncmp(model, p->prefix, n) != 0)
            continue;
        if (model[n] != '\0' && model[n] != '-') /* "o3" is not "o3x" */
            continue;
        if (!best || n > strlen(best->prefix))
            best = p;
    }
    if (!best)
        return false;
    *input = best->input;
    *output = best->output;
    return true;
}

bool lc_model_price(const lc_model_config *m, double *input, double *output)
{
    double ti = -1, to = -1;
    if (!table_price(m, &ti, &to))
        ti = to = -1;
    *input = m->input_price >= 0 ? m->input_price : ti;
    *output = m->output_price >= 0 ? m->output_price : to;
    return *input >= 0 && *output >= 0;
}

double lc_model_cost(const lc_model_config *m, int64_t prompt_tokens, int64_t completion_tokens)
{
    double in, out;
    if (!lc_model_price(m, &in, &out))
        return -1;
    return ((double)prompt_tokens * in + (double)completion_tokens * out) / 1e6;
}
