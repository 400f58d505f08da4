/* The kernel's events as the host reads them (exec/sandbox.c next_event and
 * the step loop; exec/sandbox_result.c lc_sandbox_fill_done): JSON Lines,
 * anything that is not an object ignored, "ev" and "id" read, output data,
 * a tool call's name, arguments and call number, the "done" event turned
 * into a step result, and the copy transport's "change" events written into
 * a shadow of the fuzzer's own (exec/transport.c: paths, contents in parts,
 * modes, symlinks, removals, what could not be brought back). The first byte
 * picks why the step stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "fuzz_util.h"

/* A shadow of our own, emptied now and then so a long run does not fill the disk,
 * and removed at exit. */
static char shadow_dir[64];

static void remove_shadow(void)
{
    lc_err err = {0};
    lc_rm_rf(shadow_dir, &err);
}

static const char *fuzz_shadow(void)
{
    char *dir = shadow_dir;
    static unsigned runs;
    lc_err err = {0};
    if (!dir[0]) {
        snprintf(dir, sizeof shadow_dir, "/tmp/lc-fuzz-shadow-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_shadow);
    } else if (++runs % 2000 == 0) {
        lc_rm_rf(dir, &err);
        lc_mkdir_p(dir, 0755, &err);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    lc_transport_in tin;
    lc_transport_in_init(&tin, fuzz_shadow(), 1 << 20);
    lc_stop_reason why = (lc_stop_reason)(data[0] % 4);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cJSON *ev = lc_json_parse(p, n);
        p += n + (nl ? 1 : 0);
        if (!cJSON_IsObject(ev)) {
            cJSON_Delete(ev);
            continue;
        }
        const char *kind = lc_json_str(ev, "ev");
        int64_t id = lc_json_int(ev, "id", -1, 0, INT32_MAX);
        (void)id;
        if (kind && !strcmp(kind, "ready")) {
            (void)lc_json_int(ev, "pid", 0, 1, INT32_MAX);
            (void)lc_json_str(ev, "python");
        } else if (kind && !strcmp(kind, "out")) {
            const cJSON *d = cJSON_GetObjectItemCaseSensitive(ev, "data");
            if (cJSON_IsString(d)) {
                lc_buf safe = LC_BUF_INIT;
                lc_text_sanitize(d->valuestring, strlen(d->valuestring), LC_SAN_KEEP_NEWLINE, &safe);
                lc_buf_free(&safe);
            }
        } else if (kind && !strcmp(kind, "tool_call")) {
            const cJSON *args = cJSON_GetObjectItemCaseSensitive(ev, "args");
            char *a = args ? lc_json_print(args) : NULL;
            free(a);
            (void)lc_json_int(ev, "call", 0, 0, INT32_MAX);
        } else if (kind && !strcmp(kind, "change")) {
            lc_err err = {0};
            (void)lc_transport_take(&tin, ev, &err);
        } else if (kind && !strcmp(kind, "done")) {
            lc_exec_result res = {0};
            lc_sandbox_fill_done(&res, ev, why);
            lc_exec_result_free(&res);
        }
        cJSON_Delete(ev);
    }
    free(lc_transport_in_note(&tin));
    lc_transport_in_end(&tin);
    return 0;
}
