/* Small typed accessors over cJSON that treat a missing or mistyped key as
 * "not there" rather than crashing on hostile input. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

const char *lc_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double lc_json_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int64_t lc_json_int(const cJSON *obj, const char *key, int64_t dflt, int64_t min, int64_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return dflt;
    double d = v->valuedouble;
    /* NaN fails both comparisons; the bounds are compared as doubles, and
     * 2^63 is the first double past INT64_MAX. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d)
        return dflt;
    int64_t i = (int64_t)d;
    return i < min || i > max ? dflt : i;
}

bool lc_json_bool(const cJSON *obj, const char *key, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsTrue(v))
        return true;
    if (cJSON_IsFalse(v))
        return false;
    return dflt;
}

char *lc_json_print(const cJSON *v)
{
    if (!v)
        return lc_xstrdup("null");
    char *s = cJSON_PrintUnformatted(v);
    if (!s)
        return lc_xstrdup("null");
    /* cJSON may use its own allocator hooks; hand back plain malloc memory. */
    char *copy = lc_xstrdup(s);
    cJSON_free(s);
    return copy;
}

cJSON *lc_json_parse(const char *text, size_t len)
{
    if (!text)
        return NULL;
    /* An embedded NUL would silently cut the document short. */
    if (memchr(text, '\0', len))
        return NULL;
    char *copy = lc_xstrndup(text, len);
    cJSON *v = cJSON_ParseWithOpts(copy, NULL, true);
    free(copy);
    return v;
}
