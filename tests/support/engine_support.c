#include "engine_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool lc_test_engine_required(void)
{
    const char *v = getenv("LITECODE_REQUIRE_ENGINE");
    return v && strcmp(v, "1") == 0;
}

lc_engine *lc_test_engine_open(lc_container_config *cc)
{
    const char *want = getenv("LITECODE_ENGINE");
    if (want && strcmp(want, "docker") == 0)
        cc->engine = LC_ENGINE_DOCKER;
    else if (want && strcmp(want, "podman") == 0)
        cc->engine = LC_ENGINE_PODMAN;
    /* LITECODE_RUNTIME=runsc: the same tests once under gVisor. */
    const char *runtime = getenv("LITECODE_RUNTIME");
    if (runtime && *runtime) {
        free(cc->runtime);
        cc->runtime = lc_xstrdup(runtime);
    }
    lc_engine *e = NULL;
    lc_err err = {0};
    if (lc_engine_open(cc, &e, &err) != LC_OK) {
        fprintf(stderr, "%s: %s\n", lc_test_engine_required() ? "FAIL (engine required)" : "SKIP", err.msg);
        return NULL;
    }
    int present = lc_engine_image_exists(e, cc->image, &err);
    if (present != 1) {
        fprintf(stderr, "%s: image %s missing in %s (run scripts/build-image.sh)\n",
                lc_test_engine_required() ? "FAIL (engine required)" : "SKIP", cc->image, lc_engine_name(e));
        lc_engine_free(e);
        return NULL;
    }
    fprintf(stderr, "engine: %s %s\n", lc_engine_name(e), lc_engine_version(e));
    return e;
}

char *lc_test_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = lc_xasprintf("%s/lc-%s-XXXXXX", base ? base : "/tmp", tag);
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        abort();
    }
    return tmpl;
}

void lc_test_write(const char *dir, const char *rel, const char *content)
{
    char *path = lc_path_join(dir, rel);
    char *slash = strrchr(path, '/');
    lc_err err = {0};
    *slash = '\0';
    lc_mkdir_p(path, 0755, &err);
    *slash = '/';
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        abort();
    }
    fputs(content, f);
    fclose(f);
    free(path);
}

char *lc_test_read(const char *dir, const char *rel)
{
    char *path = lc_path_join(dir, rel);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_file_read(path, 64 << 20, &b, &err);
    free(path);
    if (rc != LC_OK) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b);
}
