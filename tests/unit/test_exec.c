/* exec/ without a container: the shadow copy's rules, the session directory,
 * what a user sees when no engine is installed, and the kernel protocol
 * driven directly on the host's python3 (the same source the image runs). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_support.h"
#include "exec/exec.h"
#include "exec/exec_internal.h"

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = lc_test_tmpdir("exec-unit");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lc_err err = {0};
    lc_rm_rf(tmp, &err);
    free(tmp);
    return 0;
}

static void test_shadow_copy_keeps_files_modes_and_symlinks(void **state)
{
    (void)state;
    char *src = lc_path_join(tmp, "proj");
    char *dst = lc_path_join(tmp, "shadow");
    lc_test_write(src, "a.txt", "alpha\n");
    lc_test_write(src, "bin/run.sh", "#!/bin/sh\necho hi\n");
    lc_test_write(src, ".git/HEAD", "ref: refs/heads/main\n");
    char *script = lc_path_join(src, "bin/run.sh");
    chmod(script, 0750);
    char *link = lc_path_join(src, "escape");
    assert_int_equal(symlink("/etc/passwd", link), 0);
    char *rolink = lc_path_join(src, "bin/self");
    assert_int_equal(symlink("run.sh", rolink), 0);
    char *rodir = lc_path_join(src, "locked");
    mkdir(rodir, 0755);
    lc_test_write(src, "locked/inside.txt", "x\n");
    chmod(rodir, 0555);

    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    assert_int_equal(rep.files, 4);
    assert_int_equal(rep.symlinks, 2);
    assert_int_equal(rep.skipped.n, 0);

    char *a = lc_test_read(dst, "a.txt");
    assert_string_equal(a, "alpha\n");
    free(a);
    char *git = lc_test_read(dst, ".git/HEAD");
    assert_non_null(git); /* .git is copied so git works inside */
    free(git);
    struct stat st;
    char *p = lc_path_join(dst, "bin/run.sh");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    free(p);
    /* Symlinks stay symlinks: never followed, never copied as their target. */
    char target[256];
    p = lc_path_join(dst, "escape");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    ssize_t n = readlink(p, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "/etc/passwd");
    free(p);
    p = lc_path_join(dst, "locked");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0555);
    free(p);
    chmod(rodir, 0755);
    lc_shadow_report_free(&rep);
    free(src);
    free(dst);
    free(script);
    free(link);
    free(rolink);
    free(rodir);
}

static void test_shadow_copy_skips_and_reports_special_files(void **state)
{
    (void)state;
    char *src = lc_path_join(tmp, "special");
    char *dst = lc_path_join(tmp, "special-shadow");
    lc_test_write(src, "keep.txt", "k\n");
    char *fifo = lc_path_join(src, "pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    char *sock = lc_path_join(src, "s.sock");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);

    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    assert_int_equal(rep.files, 1);
    assert_int_equal(rep.skipped.n, 2);
    assert_string_equal(rep.skipped.v[0], "pipe (fifo)");
    assert_string_equal(rep.skipped.v[1], "s.sock (socket)");
    char *p = lc_path_join(dst, "pipe");
    struct stat st;
    assert_int_not_equal(lstat(p, &st), 0);
    free(p);
    close(fd);
    lc_shadow_report_free(&rep);
    free(src);
    free(dst);
    free(fifo);
    free(sock);
}

static void test_shadow_copy_never_copies_into_itself(void **state)
{
    (void)state;
    /* The state directory may live inside --dir (e.g. --dir ~). */
    char *src = lc_path_join(tmp, "home");
    lc_test_write(src, "notes.txt", "n\n");
    char *state_root = lc_path_join(src, ".local/state/sessions");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(state_root, 0700, &err), LC_OK);
    char *dst = lc_path_join(state_root, "shadow");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    char *again = lc_path_join(dst, ".local/state/sessions/shadow");
    struct stat st;
    assert_int_not_equal(stat(again, &st), 0);
    char *notes = lc_test_read(dst, "notes.txt");
    assert_string_equal(notes, "n\n");
    free(notes);
    free(again);
    lc_shadow_report_free(&rep);
    free(src);
    free(state_root);
    free(dst);
}

/* The session's shadow borrows the project's git objects instead of
 * copying them (a large history made the start take seconds): its
 * .git/objects is empty but for info/alternates naming where the sandbox
 * mounts the project's objects read-only. */
static void test_shadow_make_borrows_git_objects(void **state)
{
    (void)state;
    char *src = lc_path_join(tmp, "borrow-src");
    char *dst = lc_path_join(tmp, "borrow-shadow");
    lc_test_write(src, "main.py", "print(1)\n");
    lc_test_write(src, ".git/HEAD", "ref: refs/heads/main\n");
    lc_test_write(src, ".git/objects/ab/cdef0123", "loose object\n");
    lc_test_write(src, ".git/objects/pack/pack-1.pack", "pack\n");
    lc_test_write(src, "sub/.git/objects/12/3456", "a nested repository's object\n");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_shadow_make(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    char *head = lc_test_read(dst, ".git/HEAD");
    assert_string_equal(head, "ref: refs/heads/main\n"); /* the rest of .git is the shadow's own */
    char *alt = lc_test_read(dst, ".git/objects/info/alternates");
    assert_string_equal(alt, LC_SHADOW_GIT_OBJECTS "\n");
    struct stat st;
    char *loose = lc_path_join(dst, ".git/objects/ab"), *pack = lc_path_join(dst, ".git/objects/pack");
    char *pack1 = lc_path_join(dst, ".git/objects/pack/pack-1.pack");
    assert_int_not_equal(stat(loose, &st), 0);
    assert_int_equal(stat(pack, &st), 0);
    assert_true(S_ISDIR(st.st_mode)); /* git writes new packs here, in the shadow */
    assert_int_not_equal(stat(pack1, &st), 0);
    char *nested = lc_test_read(dst, "sub/.git/objects/12/3456");
    assert_non_null(nested); /* only the project's own .git is borrowed */
    char *objects = lc_path_join(src, ".git/objects");
    char *lent = lc_shadow_borrowed(src, dst);
    assert_non_null(lent);
    assert_string_equal(lent, objects);
    /* A plain copy (the demo, tests) still copies everything. */
    char *full = lc_path_join(tmp, "borrow-full");
    lc_shadow_report rep2 = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(src, full, (uid_t)-1, (gid_t)-1, &rep2, &err), LC_OK);
    char *copied = lc_test_read(full, ".git/objects/ab/cdef0123");
    assert_string_equal(copied, "loose object\n");
    char *none = lc_shadow_borrowed(src, full);
    assert_null(none);
    /* A step that rewrote the shadow's alternates borrows nothing more. */
    lc_test_write(dst, ".git/objects/info/alternates", "/etc\n");
    char *after = lc_shadow_borrowed(src, dst);
    assert_null(after);
    lc_shadow_report_free(&rep);
    lc_shadow_report_free(&rep2);
    free(head);
    free(alt);
    free(loose);
    free(pack);
    free(pack1);
    free(nested);
    free(objects);
    free(lent);
    free(full);
    free(copied);
    free(src);
    free(dst);
}

/* What is lent must be exactly the project's own objects, all readable by
 * the sandbox user: a symlink would lend what it points at (a .git/objects
 * -> ~/.ssh in a downloaded project), an unreadable object would break git
 * in the sandbox, and a comma or colon would split the --mount list. Those
 * are copied instead. */
static void test_shadow_git_objects_lends_only_plain_readable_stores(void **state)
{
    (void)state;
    lc_err err = {0};
    char *secret = lc_path_join(tmp, "lend-secret");
    lc_test_write(secret, "id_rsa", "key\n");

    char *a = lc_path_join(tmp, "lend-symlinked-objects");
    lc_test_write(a, ".git/HEAD", "x\n");
    char *a_obj = lc_path_join(a, ".git/objects");
    assert_int_equal(symlink(secret, a_obj), 0);
    char *got = lc_shadow_git_objects(a);
    assert_null(got);
    char *a_dst = lc_path_join(tmp, "lend-symlinked-objects-shadow");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_make(a, a_dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    char *a_alt = lc_path_join(a_dst, ".git/objects/info/alternates");
    struct stat st;
    assert_int_not_equal(stat(a_alt, &st), 0); /* the symlink was copied as a symlink, nothing lent */
    lc_shadow_report_free(&rep);

    char *b = lc_path_join(tmp, "lend-symlinked-git");
    char *b_real = lc_path_join(tmp, "lend-real-git");
    lc_test_write(b_real, "objects/aa/bb", "o\n");
    assert_int_equal(lc_mkdir_p(b, 0755, &err), LC_OK);
    char *b_git = lc_path_join(b, ".git");
    assert_int_equal(symlink(b_real, b_git), 0);
    got = lc_shadow_git_objects(b);
    assert_null(got);

    char *c = lc_path_join(tmp, "lend-link-inside");
    lc_test_write(c, ".git/objects/pack/p.pack", "p\n");
    char *c_link = lc_path_join(c, ".git/objects/info");
    assert_int_equal(symlink(secret, c_link), 0);
    got = lc_shadow_git_objects(c);
    assert_null(got);

    char *d = lc_path_join(tmp, "lend-unreadable");
    lc_test_write(d, ".git/objects/pack/p.pack", "p\n");
    char *d_pack = lc_path_join(d, ".git/objects/pack/p.pack");
    assert_int_equal(chmod(d_pack, 0), 0);
    got = lc_shadow_git_objects(d);
    assert_null(got);
    assert_int_equal(chmod(d_pack, 0644), 0);
    got = lc_shadow_git_objects(d);
    assert_non_null(got); /* the same store, readable: lent */
    free(got);

    char *e = lc_path_join(tmp, "lend,comma");
    lc_test_write(e, ".git/objects/pack/p.pack", "p\n");
    got = lc_shadow_git_objects(e);
    assert_null(got);

    char *f = lc_path_join(tmp, "lend-no-git");
    lc_test_write(f, "main.py", "x\n");
    got = lc_shadow_git_objects(f);
    assert_null(got);

    free(secret);
    free(a);
    free(a_obj);
    free(a_dst);
    free(a_alt);
    free(b);
    free(b_real);
    free(b_git);
    free(c);
    free(c_link);
    free(d);
    free(d_pack);
    free(e);
    free(f);
}

static void test_shadow_copy_errors_say_what_to_do(void **state)
{
    (void)state;
    char *missing = lc_path_join(tmp, "does-not-exist");
    char *dst = lc_path_join(tmp, "never");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_shadow_copy(missing, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "does-not-exist"));
    lc_test_write(tmp, "plain.txt", "x");
    char *file = lc_path_join(tmp, "plain.txt");
    assert_int_equal(lc_shadow_copy(file, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "not a directory"));
    lc_shadow_report_free(&rep);
    free(missing);
    free(dst);
    free(file);
}

/* In a child with its own mount namespace: a 16 MB disk takes an 8 GiB
 * sparse file (holes stay holes) but refuses a 24 MB one before writing it,
 * says what to do, and leaves no half copy. Exit codes: 0 held, 77 no root. */
static int small_disk_child(const char *src, const char *disk)
{
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", disk, "tmpfs", 0, "size=16m") != 0)
        return 77;
    char *dst = lc_path_join(disk, "shadow");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    lc_err err = {0};
    if (lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err) != LC_OK)
        return fprintf(stderr, "sparse copy failed: %s\n", err.msg), 1;
    lc_rm_rf(dst, NULL);
    lc_shadow_report_free(&rep);
    char *big = lc_path_join(src, "big.bin");
    int fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0600);
    char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; fd >= 0 && i < 24 * 16; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            return 2;
    close(fd);
    rep = (lc_shadow_report)LC_SHADOW_REPORT_INIT;
    int rc = lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err);
    fprintf(stderr, "said: %s\n", err.msg);
    if (rc != LC_EIO || !strstr(err.msg, "big.bin needs") || !strstr(err.msg, "XDG_STATE_HOME"))
        return 3;
    struct stat st;
    if (lstat(dst, &st) == 0)
        return 4; /* the half copy was left */
    lc_shadow_report_free(&rep);
    free(big);
    free(dst);
    return 0;
}

static void test_shadow_copy_never_fills_the_disk(void **state)
{
    (void)state;
    char *src = lc_path_join(tmp, "bigproj");
    char *disk = lc_path_join(tmp, "smalldisk");
    lc_test_write(src, "a.txt", "alpha\n");
    assert_int_equal(mkdir(disk, 0700), 0);
    char *sparse = lc_path_join(src, "sparse.img");
    int fd = open(sparse, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)8 << 30), 0);
    assert_int_equal(pwrite(fd, "end", 3, ((off_t)8 << 30) - 3), 3);
    close(fd);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(small_disk_child(src, disk));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        fprintf(stderr, "SKIPPED: a private tmpfs needs root (CI runs as root)\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    free(sparse);
    free(src);
    free(disk);
}

static void test_session_dirs_are_unique_and_private(void **state)
{
    (void)state;
    char *root = lc_path_join(tmp, "sessions");
    char *d1, *i1, *d2, *i2;
    lc_err err = {0};
    assert_int_equal(lc_session_dir_create(root, &d1, &i1, &err), LC_OK);
    assert_int_equal(lc_session_dir_create(root, &d2, &i2, &err), LC_OK);
    assert_string_not_equal(i1, i2);
    struct stat st;
    assert_int_equal(stat(d1, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(d1);
    free(i1);
    free(d2);
    free(i2);
    free(root);
}

static void test_no_engine_names_what_to_install(void **state)
{
    (void)state;
    char *old = lc_xstrdup(getenv("PATH"));
    setenv("PATH", tmp, 1); /* nothing to find */
    lc_config cfg;
    lc_config_defaults(&cfg);
    lc_engine *e = NULL;
    lc_err err = {0};
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_EENGINE);
    assert_null(e);
    assert_non_null(strstr(err.msg, "no container engine found"));
    assert_non_null(strstr(err.msg, "apt-get install docker.io"));
    assert_non_null(strstr(err.msg, "podman"));
    /* A docker client without a daemon: start the daemon, or join the group. */
    char *fake = lc_path_join(tmp, "docker");
    FILE *f = fopen(fake, "w");
    fputs("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1\n", f);
    fclose(f);
    chmod(fake, 0755);
    cfg.container.engine = LC_ENGINE_DOCKER;
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_EENGINE);
    assert_non_null(strstr(err.msg, "Cannot connect to the Docker daemon"));
    assert_non_null(strstr(err.msg, "systemctl start docker"));
    assert_non_null(strstr(err.msg, "docker group"));
    unlink(fake);
    free(fake);
    setenv("PATH", old, 1);
    free(old);
    lc_config_free(&cfg);
}

/* The engine table (LC_ENGINES): every row is a config choice with its own
 * name, and the sandbox's command line takes each engine's columns (global
 * options, network name, user mapping) from its row. */
static bool argv_has(const lc_strv *a, const char *s)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], s) == 0)
            return true;
    return false;
}

static void test_engine_table_rows_drive_the_cli(void **state)
{
    (void)state;
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++) {
        const char *name = lc_engine_kind_name((lc_engine_kind)k);
        assert_string_not_equal(name, "auto");
        char needle[64];
        snprintf(needle, sizeof needle, "|%s", name);
        assert_non_null(strstr(LC_ENGINE_CHOICES, needle));
    }
    char *old = lc_xstrdup(getenv("PATH"));
    setenv("PATH", tmp, 1);
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++) {
        char *fake = lc_path_join(tmp, lc_engine_kind_name((lc_engine_kind)k));
        FILE *f = fopen(fake, "w");
        fputs("#!/bin/sh\necho 99.0\n", f);
        fclose(f);
        chmod(fake, 0755);
        free(fake);
    }
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.network = true;
    for (int k = LC_ENGINE_AUTO + 1; k < LC_ENGINE__COUNT; k++) {
        cfg.container.engine = (lc_engine_kind)k;
        lc_engine *e = NULL;
        lc_err err = {0};
        assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
        assert_int_equal(lc_engine_kind_of(e), k);
        assert_string_equal(lc_engine_version(e), "99.0");
        lc_strv a = LC_STRV_INIT;
        lc_sandbox_ws mount = {false, NULL, NULL, NULL, NULL}, copy = {true, NULL, "n-ws", NULL, NULL};
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &mount, &a);
        assert_string_equal(a.v[0], lc_engine_kind_name((lc_engine_kind)k));
        assert_true(argv_has(&a, "run"));
        assert_true(argv_has(&a, "--volume=/shadow:/workspace:rw"));
        lc_strv_free(&a);
        /* The copy transport: created, then filled over the engine; the
         * shadow's path means nothing to the engine and is never mounted. */
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &copy, &a);
        assert_true(argv_has(&a, "create"));
        assert_false(argv_has(&a, "run"));
        /* A named volume (podman cannot label an anonymous one), labelled when created. */
        assert_true(argv_has(&a, "--mount=type=volume,source=n-ws,destination=/workspace"));
        for (size_t i = 0; i < a.n; i++)
            assert_null(strstr(a.v[i], "/shadow"));
        assert_non_null(strstr(a.v[a.n - 1], "\"track_changes\":true"));
        assert_false(argv_has(&a, "--mount=type=volume,source=g,destination=" LC_SHADOW_GIT_OBJECTS ",ro"));
        lc_strv_free(&a);
        /* Borrowed git objects: read-only, as a bind mount or as the volume
         * they were sent into once. */
        lc_sandbox_ws lend = {false, NULL, NULL, "/p/.git/objects", NULL}, sent = {true, NULL, NULL, NULL, "g"};
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &lend, &a);
        assert_true(argv_has(&a, "--mount=type=bind,source=/p/.git/objects,destination=" LC_SHADOW_GIT_OBJECTS
                                 ",ro,bind-nonrecursive=true"));
        lc_strv_free(&a);
        /* A project path with a comma or a quote: one CSV field, never more fields. */
        lc_sandbox_ws odd = {false, NULL, NULL, "/p/a,destination=/etc,\"q/.git/objects", NULL};
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &odd, &a);
        assert_true(argv_has(&a, "--mount=type=bind,\"source=/p/a,destination=/etc,\"\"q/.git/objects\",destination="
                                 LC_SHADOW_GIT_OBJECTS ",ro,bind-nonrecursive=true"));
        lc_strv_free(&a);
        /* While the probe asks whether the engine sees this machine's files, a
         * --volume (made empty there) lets the start go on and the probe tell. */
        lend.probe = ".litecode-probe-1";
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &lend, &a);
        assert_true(argv_has(&a, "--volume=/p/.git/objects:" LC_SHADOW_GIT_OBJECTS ":ro"));
        lc_strv_free(&a);
        lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &sent, &a);
        assert_true(argv_has(&a, "--mount=type=volume,source=g,destination=" LC_SHADOW_GIT_OBJECTS ",ro"));
        bool podman = k == LC_ENGINE_PODMAN;
        assert_int_equal(argv_has(&a, "--cgroup-manager=cgroupfs"), podman);
        assert_true(argv_has(&a, podman ? "--network=slirp4netns" : "--network=bridge"));
        assert_true(argv_has(&a, "--cap-drop=ALL"));
        /* Issue 14: root with CAP_SETUID and CAP_SETGID only, for the kernel to
         * split into a worker and a supervisor under two different uids, and
         * CAP_KILL, for init to forward the interrupt to it. */
        size_t adds = 0;
        for (size_t i = 0; i < a.n; i++)
            adds += strncmp(a.v[i], "--cap-add", 9) == 0 || strncmp(a.v[i], "--privileged", 12) == 0;
        assert_int_equal(adds, 3);
        assert_true(argv_has(&a, "--cap-add=KILL"));
        assert_true(argv_has(&a, "--cap-add=SETUID"));
        assert_true(argv_has(&a, "--cap-add=SETGID"));
        assert_true(argv_has(&a, "--security-opt=no-new-privileges"));
        assert_true(argv_has(&a, "--user=0:0"));
        uid_t wu;
        gid_t wg;
        lc_sandbox_user(&wu, &wg);
        char users[128];
        snprintf(users, sizeof users, "\"users\":{\"worker\":[%d,%d],\"supervisor\":[", (int)wu, (int)wg);
        const char *u = strstr(a.v[a.n - 1], users);
        assert_non_null(u);
        int su = -1, sg = -1;
        assert_int_equal(sscanf(u + strlen(users), "%d,%d", &su, &sg), 2);
        assert_true(su > 0 && su != (int)wu && sg > 0 && sg != (int)wg);
        lc_strv_free(&a);
        lc_engine_free(e);
    }
    lc_config_free(&cfg);
    setenv("PATH", old, 1);
    free(old);
}

/* podman --remote (CONTAINER_HOST, CONTAINER_CONNECTION, containers.conf
 * `remote = true`): its CLI refuses the global --runtime and
 * --cgroup-manager ("unknown flag"), so the probe asks `version` without
 * them, learns from it that a service answers, and from then on they are
 * left out and the copy transport is chosen, whatever set it remote. */
static void write_exec(const char *path, const char *text);

static void test_podman_service_is_found_by_its_cli(void **state)
{
    (void)state;
    char *old = lc_xstrdup(getenv("PATH"));
    char *bin = lc_path_join(tmp, "podman-service-bin");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(bin, 0755, &err), LC_OK);
    char *fake = lc_path_join(bin, "podman");
    char *script = lc_xasprintf("#!/bin/sh\n"
                                "for a in \"$@\"; do case \"$a\" in --runtime*|--cgroup-manager*) "
                                "echo 'Error: unknown flag: --runtime' >&2; exit 125;; esac; done\n"
                                "[ \"$1\" = version ] && { echo '4.3.1 remote'; exit 0; }\n"
                                "echo \"$@\" >>'%s/calls'\n",
                                bin);
    write_exec(fake, script);
    free(script);
    setenv("PATH", bin, 1);
    char *host = lc_xstrdup(getenv("CONTAINER_HOST") ? getenv("CONTAINER_HOST") : "");
    unsetenv("CONTAINER_HOST"); /* a named connection, not the variable */
    setenv("CONTAINER_CONNECTION", "buildbox", 1);
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_PODMAN;
    lc_engine *e = NULL;
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    assert_string_equal(lc_engine_version(e), "4.3.1");
    char why[256];
    assert_true(lc_engine_is_remote(e, why, sizeof why));
    assert_non_null(strstr(why, "CONTAINER_CONNECTION=buildbox"));
    lc_strv a = LC_STRV_INIT;
    lc_sandbox_ws copy = {true, NULL, NULL, NULL, NULL};
    lc_sandbox_run_argv(&cfg.container, e, "n", "s", "/shadow", &copy, &a);
    for (size_t i = 0; i < a.n; i++) {
        assert_null(strstr(a.v[i], "--runtime"));
        assert_null(strstr(a.v[i], "--cgroup-manager"));
    }
    assert_true(argv_has(&a, "--ulimit=nofile=1024:1024") || argv_has(&a, "--ulimit=core=0:0"));
    lc_strv_free(&a);
    const char *ps[] = {"ps", "-a", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    assert_int_equal(lc_engine_run(e, ps, 10000, &res, &err), LC_OK); /* accepted: no global flags */
    lc_proc_result_free(&res);
    /* The copy transport's workspace volume is labelled when it is made: the
     * sweep finds it by label on that engine once its session died. */
    assert_int_equal(lc_transport_volume_create(e, "sess-1", "n-ws", &err), LC_OK);
    char *calls = lc_test_read(bin, "calls");
    assert_non_null(calls);
    assert_non_null(strstr(calls, "volume create --label=litecode.session=sess-1 --label=litecode.pid="));
    assert_non_null(strstr(calls, " n-ws\n"));
    free(calls);
    /* podman cp would give the workspace to the container's user (root until
     * the kernel drops to the step's user): the shadow's owners are kept. */
    assert_int_equal(lc_transport_fill(e, "c1", "/shadow", &err), LC_OK);
    calls = lc_test_read(bin, "calls");
    assert_non_null(strstr(calls, "cp --archive=false /shadow/. c1:/workspace\n"));
    free(calls);
    lc_engine_free(e);
    unsetenv("CONTAINER_CONNECTION");
    /* The same CLI without a service: local podman keeps its global options. */
    write_exec(fake, "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = version ] && { echo 4.3.1; exit 0; }; done\nexit 0\n");
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    assert_false(lc_engine_is_remote(e, why, sizeof why));
    lc_engine_argv(e, &a, "ps");
    assert_true(argv_has(&a, "--runtime=runc"));
    assert_true(argv_has(&a, "--cgroup-manager=cgroupfs"));
    lc_strv_free(&a);
    lc_engine_free(e);
    lc_config_free(&cfg);
    if (*host)
        setenv("CONTAINER_HOST", host, 1);
    setenv("PATH", old, 1);
    free(host);
    free(old);
    free(fake);
    free(bin);
}

/* Issue 14: the copy transport sends every file in full (cp makes a sparse
 * file dense), so before anything is sent the apparent size is measured;
 * over container.copy_max the start is refused, naming the largest files
 * (and that they are sparse), and nothing is created on the engine. */
static void test_copy_transport_refuses_more_than_copy_max(void **state)
{
    (void)state;
    lc_err err = {0};
    char *shadow = lc_path_join(tmp, "cm-shadow");
    char *objects = lc_path_join(tmp, "cm-objects");
    char *sub = lc_path_join(shadow, "data");
    assert_int_equal(lc_mkdir_p(sub, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(objects, 0755, &err), LC_OK);
    lc_test_write(shadow, "small.txt", "hello\n");
    lc_test_write(objects, "pack-1.pack", "0123456789");
    char *big = lc_path_join(sub, "big.bin");
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 50LL << 20), 0); /* 50 MiB apparent, nothing on disk */
    close(fd);
    uint64_t bytes = 0;
    assert_int_equal(lc_transport_measure(shadow, objects, 0, &bytes, &err), LC_OK); /* 0: no cap */
    assert_true(bytes == (50ULL << 20) + 6 + 10);
    assert_int_equal(lc_transport_measure(shadow, NULL, 51ULL << 20, &bytes, &err), LC_OK);
    assert_true(bytes == (50ULL << 20) + 6);
    assert_int_equal(lc_transport_measure(shadow, objects, 1ULL << 20, &bytes, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "too large to copy to the engine: 50.0 MiB in 3 files"));
    assert_non_null(strstr(err.msg, "container.copy_max (1.0 MiB)"));
    assert_non_null(strstr(err.msg, "Largest: data/big.bin 50.0 MiB (sparse: 0 B on disk), .git/objects/pack-1.pack 10 B, small.txt 6 B."));
    assert_non_null(strstr(err.msg, "Move such files out of the project, or raise container.copy_max"));
    /* A hostile name cannot forge a line of the message. */
    lc_test_write(shadow, "evil\nlitecode-tui: ok", "x");
    assert_int_equal(lc_transport_measure(shadow, NULL, 1ULL << 20, NULL, &err), LC_EINVAL);
    assert_null(strchr(err.msg, '\n'));

    /* Through the executor on a remote engine (a podman service): refused
     * before any volume or container is made. */
    char *old = lc_xstrdup(getenv("PATH"));
    char *bin = lc_path_join(tmp, "cm-bin");
    assert_int_equal(lc_mkdir_p(bin, 0755, &err), LC_OK);
    char *fake = lc_path_join(bin, "podman");
    char *script = lc_xasprintf("#!/bin/sh\n[ \"$1\" = version ] && { echo '4.3.1 remote'; exit 0; }\n"
                                "echo \"$@\" >>'%s/calls'\nexit 0\n", bin);
    write_exec(fake, script);
    free(script);
    setenv("PATH", bin, 1);
    setenv("CONTAINER_CONNECTION", "buildbox", 1);
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_PODMAN;
    cfg.container.copy_max_bytes = 1LL << 20;
    lc_engine *e = NULL;
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    lc_sandbox_opts so = {&cfg.container, shadow, "cm-sess", e, NULL};
    lc_executor *ex = NULL;
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    lc_sandbox_lend_git(ex, objects);
    assert_int_equal(lc_executor_start(ex, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "data/big.bin 50.0 MiB (sparse"));
    char *calls = lc_test_read(bin, "calls");
    assert_non_null(calls); /* the image was looked for */
    assert_null(strstr(calls, "create"));
    assert_null(strstr(calls, " cp "));
    free(calls);
    lc_executor_destroy(ex);
    lc_engine_free(e);
    lc_config_free(&cfg);
    unsetenv("CONTAINER_CONNECTION");
    setenv("PATH", old, 1);
    free(old);
    free(fake);
    free(bin);
    free(big);
    free(sub);
    free(objects);
    free(shadow);
}

/* container.copy_max counts what the copy transport sends. It sends the
 * shadow (`cp SHADOW/. c:/workspace`), and the shadow copy makes every link
 * of a hard-linked project file a file of its own: each link is sent in full
 * and counts in full (verified by hand against a second dockerd: a project
 * with a 64 MiB file under 3 names sends 192 MiB; a tree that keeps the
 * links would send 64 MiB, as docker's tar writes later links as headers).
 * If the shadow ever keeps hard links, this test fails: then the count (per
 * (dev, inode)) and podman's cp, which fails on a tree with hard links
 * (podman 4.3), need a look. */
static void test_copy_max_counts_each_link_as_the_shadow_sends_it(void **state)
{
    (void)state;
    lc_err err = {0};
    char *src = lc_path_join(tmp, "hl-project");
    char *dst = lc_path_join(tmp, "hl-shadow");
    char *sub = lc_path_join(src, "data");
    assert_int_equal(lc_mkdir_p(sub, 0755, &err), LC_OK);
    lc_buf four = LC_BUF_INIT;
    for (int i = 0; i < (4 << 20) / 64; i++)
        lc_buf_printf(&four, "%063d\n", i);
    lc_test_write(sub, "big.bin", lc_buf_cstr(&four)); /* 4 MiB */
    lc_buf_free(&four);
    char *big = lc_path_join(sub, "big.bin"), *l1 = lc_path_join(sub, "link1.bin"), *l2 = lc_path_join(src, "link2.bin");
    assert_int_equal(link(big, l1), 0);
    assert_int_equal(link(big, l2), 0);
    lc_test_write(src, "small.txt", "hello\n");
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    /* What is sent: three files, not three names of one. */
    const char *names[] = {"data/big.bin", "data/link1.bin", "link2.bin"};
    ino_t seen[3];
    for (int i = 0; i < 3; i++) {
        char *p = lc_path_join(dst, names[i]);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_nlink, 1);
        assert_true(st.st_size == 4 << 20);
        seen[i] = st.st_ino;
        free(p);
    }
    assert_true(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2]);
    uint64_t bytes = 0;
    assert_int_equal(lc_transport_measure(dst, NULL, 0, &bytes, &err), LC_OK);
    assert_true(bytes == 3ULL * (4 << 20) + 6);
    /* A cap between one and three times the file: over it, and the message
     * names the largest files, each link among them. */
    assert_int_equal(lc_transport_measure(dst, NULL, 8ULL << 20, &bytes, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "too large to copy to the engine: 12.0 MiB in 4 files"));
    assert_non_null(strstr(err.msg, "container.copy_max (8.0 MiB)"));
    assert_non_null(strstr(err.msg, "Largest: "));
    for (int i = 0; i < 3; i++) {
        char *named = lc_xasprintf("%s 4.0 MiB", names[i]);
        assert_non_null(strstr(err.msg, named));
        free(named);
    }
    assert_null(strstr(err.msg, "small.txt"));
    assert_int_equal(lc_transport_measure(dst, NULL, 13ULL << 20, &bytes, &err), LC_OK);
    free(big);
    free(l1);
    free(l2);
    free(sub);
    free(dst);
    free(src);
}

/* ---- building the built-in image ------------------------------------------ */

static void write_exec(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0755);
}

typedef struct progress {
    lc_strv lines;
    atomic_bool *cancel_after_first;
} progress;

static void on_line(void *ctx, const char *line)
{
    progress *p = ctx;
    lc_strv_push(&p->lines, line);
    if (p->cancel_after_first)
        atomic_store(p->cancel_after_first, true);
}

static void test_image_build_passes_progress_and_fails_clearly(void **state)
{
    (void)state;
    bool ml = true;
    assert_true(lc_image_is_builtin("litecode-sandbox:" LC_VERSION, &ml));
    assert_false(ml);
    assert_true(lc_image_is_builtin("litecode-sandbox-ml:" LC_VERSION, &ml));
    assert_true(ml);
    assert_false(lc_image_is_builtin("litecode-sandbox:0.0.0-other", NULL));
    assert_false(lc_image_is_builtin("python:3.11-slim", NULL));

    /* A docker client that answers `version`, so an engine opens. */
    char *bin = lc_path_join(tmp, "imgbin");
    mkdir(bin, 0755);
    char *docker = lc_path_join(bin, "docker");
    write_exec(docker, "#!/bin/sh\necho 24.0.5\n");
    char *old = lc_xstrdup(getenv("PATH"));
    char *path = lc_xasprintf("%s:%s", bin, old);
    setenv("PATH", path, 1);
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_DOCKER;
    lc_engine *e = NULL;
    lc_err err = {0};
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);

    /* Every line, its arguments, hostile bytes shown visibly, a last line without its end. */
    char *script = lc_path_join(tmp, "build-image.sh");
    write_exec(script, "echo \"[build-image] args: $*\"\nprintf '\\033[31mred\\n\\n'\n"
                       "read -r x && echo \"stdin had $x\"\nprintf 'last words'\n");
    progress pr = {LC_STRV_INIT, NULL};
    assert_int_equal(lc_image_build(e, script, true, NULL, on_line, &pr, &err), LC_OK);
    assert_int_equal(pr.lines.n, 3);
    assert_string_equal(pr.lines.v[0], "[build-image] args: --engine docker --ml");
    assert_string_equal(pr.lines.v[1], "^[[31mred");
    assert_string_equal(pr.lines.v[2], "last words"); /* stdin is empty: nothing waits on it */
    lc_strv_free(&pr.lines);

    /* A failure says what the script said last and how to see the rest. */
    write_exec(script, "echo working\necho 'build-image: error: debootstrap failed' >&2\nexit 1\n");
    assert_int_equal(lc_image_build(e, script, false, NULL, on_line, &pr, &err), LC_EENGINE);
    assert_non_null(strstr(err.msg, "building the sandbox image failed (build-image: error: debootstrap failed)"));
    assert_non_null(strstr(err.msg, "run scripts/build-image.sh in a terminal"));
    lc_strv_free(&pr.lines);

    /* Cancelled: the build is stopped, not waited for. */
    atomic_bool cancel = false;
    pr.cancel_after_first = &cancel;
    write_exec(script, "echo started\nsleep 60\necho never\n");
    int64_t t0 = lc_now_ms();
    assert_int_equal(lc_image_build(e, script, false, &cancel, on_line, &pr, &err), LC_ECANCEL);
    assert_true(lc_now_ms() - t0 < 30000);
    assert_int_equal(pr.lines.n, 1);
    lc_strv_free(&pr.lines);

    /* No script: say so. */
    unlink(script);
    assert_int_equal(lc_image_build(e, script, false, NULL, NULL, NULL, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "build-image.sh is missing"));

    lc_engine_free(e);
    lc_config_free(&cfg);
    setenv("PATH", old, 1);
    unlink(docker);
    rmdir(bin);
    free(old);
    free(path);
    free(script);
    free(docker);
    free(bin);
}

/* ---- an image that a remote engine lacks, loaded from this machine ------- */

/* A fake docker for two engines: with DOCKER_HOST set it is the remote one,
 * without it (and with --context=default, as litecode asks this machine's
 * own) the local one. Files in dir say what each has: remote-has,
 * local-has, label (litecode.inputs of the local image), slow (save never
 * ends), loadfail. Every call is logged with whether it saw an API key. */
static char *fake_two_dockers(const char *dir)
{
    char *docker = lc_path_join(dir, "docker");
    char *text = lc_xasprintf(
        "#!/bin/sh\nd='%s'\nwhere=remote; [ -z \"$DOCKER_HOST\" ] && where=local\n"
        "[ \"$1\" = --context=default ] && { where=local-ctx; shift; }\n"
        "echo \"$where key=${OPENAI_API_KEY:-none} $*\" >>\"$d/calls\"\n"
        "case \"$1\" in\n"
        "version) echo 24.0.5 ;;\n"
        "image) case \"$4\" in\n"
        "  *inputs*) cat \"$d/label\" 2>/dev/null ;;\n"
        "  *Size*) echo 300000 ;;\n"
        "  *) [ -e \"$d/${where%%-ctx}-has\" ] || { echo 'Error: No such image' >&2; exit 1; }; echo sha256:1 ;;\n"
        "  esac ;;\n"
        "save) [ -e \"$d/slow\" ] && { echo $$ >\"$d/save.pid\"; while :; do echo x; sleep 0.05; done; }\n"
        "  seq 1 50000 ;;\n"
        "load) if [ -e \"$d/loadfail\" ]; then head -c 10 >/dev/null; echo 'Error: unexpected EOF in tar' >&2; exit 1; fi\n"
        "  cat >\"$d/loaded\"; echo 'Loaded image: lc-own-test:1' ;;\n"
        "esac\n",
        dir);
    write_exec(docker, text);
    free(text);
    char *podman = lc_path_join(dir, "podman"); /* this machine has no podman */
    write_exec(podman, "#!/bin/sh\necho 'no podman here' >&2\nexit 1\n");
    free(podman);
    return docker;
}

static bool has_line(const lc_strv *v, const char *needle)
{
    for (size_t i = 0; i < v->n; i++)
        if (strstr(v->v[i], needle))
            return true;
    return false;
}

/* Whether pid is still the fake engine script of dir: gone, or the pid
 * already reused by another program, is not (a busy machine may hand the
 * number out again at once). Polled for a moment: the kill is asynchronous. */
static bool fake_engine_alive(pid_t pid, const char *dir)
{
    for (int i = 0; i < 100; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        lc_buf b = LC_BUF_INIT;
        lc_err ignored = {0};
        bool ours = false;
        if (lc_file_read(path, 1 << 16, &b, &ignored) == LC_OK)
            for (size_t k = 0; k < b.len && !ours; k += strlen(b.data + k) + 1)
                ours = strstr(b.data + k, dir) != NULL;
        lc_buf_free(&b);
        if (!ours)
            return false;
        usleep(20000);
    }
    return true;
}

/* Issue 14: a missing image on a remote engine is loaded there from this
 * machine's docker (save | load through litecode, with progress), the
 * notice says loading, not building; a stale built-in image is rebuilt
 * instead; an image nowhere is an error that says what to do; a cancel
 * stops both sides at once; API keys reach neither CLI. */
static void test_image_missing_on_a_remote_engine_is_loaded(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as main() does */
    char *dir = lc_path_join(tmp, "two-dockers");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(dir, 0755, &err), LC_OK);
    char *docker = fake_two_dockers(dir);
    char *old = lc_xstrdup(getenv("PATH"));
    char *path = lc_xasprintf("%s:%s", dir, old);
    setenv("PATH", path, 1);
    setenv("OPENAI_API_KEY", "sk-test-openai", 1);
    setenv("DOCKER_HOST", "unix:///run/elsewhere.sock", 1);
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_DOCKER;
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("lc-own-test:1");
    lc_engine *e = NULL;
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    char why[256];
    assert_true(lc_engine_elsewhere(e, why, sizeof why));
    assert_string_equal(why, "DOCKER_HOST=unix:///run/elsewhere.sock");

    /* Nowhere: what to do, for the remote engine. */
    lc_image_plan plan;
    assert_int_equal(lc_image_plan_make(e, &cfg.container, NULL, &plan, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "the sandbox image lc-own-test:1 is neither on the remote engine "
                                    "(DOCKER_HOST=unix:///run/elsewhere.sock) nor in this machine's docker or podman"));
    assert_non_null(strstr(err.msg, "from where litecode loads it onto the remote engine"));

    /* Here: loaded, with what, from where, its size, and the time it took. */
    lc_test_write(dir, "local-has", "");
    assert_int_equal(lc_image_plan_make(e, &cfg.container, NULL, &plan, &err), LC_OK);
    assert_int_equal(plan.how, LC_IMAGE_LOAD);
    assert_string_equal(plan.notice, "the sandbox image lc-own-test:1 is not on the remote engine "
                                     "(DOCKER_HOST=unix:///run/elsewhere.sock): loading it there from this "
                                     "machine's docker (293.0 KiB)");
    progress pr = {LC_STRV_INIT, NULL};
    assert_int_equal(lc_image_plan_run(e, &plan, NULL, on_line, &pr, &err), LC_OK);
    assert_string_equal(pr.lines.v[0], "loading lc-own-test:1 from this machine's docker (293.0 KiB) into the "
                                       "remote docker");
    assert_true(has_line(&pr.lines, "Loaded image: lc-own-test:1"));
    assert_true(has_line(&pr.lines, "lc-own-test:1 is on the remote docker (282.1 KiB in "));
    lc_strv_free(&pr.lines);
    char *loaded = lc_test_read(dir, "loaded");
    assert_non_null(loaded);
    assert_int_equal(strlen(loaded), 288894); /* `seq 1 50000`, every byte through */
    assert_true(lc_str_starts_with(loaded, "1\n2\n3\n") && lc_str_ends_with(loaded, "\n49999\n50000\n"));
    free(loaded);
    char *calls = lc_test_read(dir, "calls");
    assert_non_null(strstr(calls, "local-ctx key=none save lc-own-test:1\n")); /* this machine's own docker */
    assert_non_null(strstr(calls, "remote key=none load\n"));
    assert_null(strstr(calls, "sk-test-openai"));
    free(calls);

    /* The remote engine fails: which side, its words, how to do it by hand. */
    lc_test_write(dir, "loadfail", "");
    assert_int_equal(lc_image_plan_run(e, &plan, NULL, NULL, NULL, &err), LC_EENGINE);
    assert_non_null(strstr(err.msg, "(docker `load`: Error: unexpected EOF in tar)"));
    assert_non_null(strstr(err.msg, "load it by hand (`docker save lc-own-test:1 | docker load`"));
    char *loadfail = lc_path_join(dir, "loadfail");
    unlink(loadfail);
    free(loadfail);

    /* Cancelled: both sides stopped at once, nothing waited for. */
    lc_test_write(dir, "slow", "");
    atomic_bool cancel = false;
    pr.cancel_after_first = &cancel;
    assert_int_equal(lc_image_plan_run(e, &plan, &cancel, on_line, &pr, &err), LC_ECANCEL);
    assert_non_null(strstr(err.msg, "loading the sandbox image lc-own-test:1 was cancelled"));
    char *spid = lc_test_read(dir, "save.pid");
    if (spid) /* it may have been stopped before it even started */
        assert_false(fake_engine_alive((pid_t)atoi(spid), dir));
    free(spid);
    lc_strv_free(&pr.lines);
    lc_image_plan_free(&plan);

    /* litecode's own image: loaded only as current as a build would make it. */
    char *script = lc_path_join(dir, "build-image.sh");
    write_exec(script, "[ \"$1\" = --print-hash ] && echo abc123\n");
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("litecode-sandbox:" LC_VERSION);
    lc_test_write(dir, "label", "abc123\n");
    assert_int_equal(lc_image_plan_make(e, &cfg.container, script, &plan, &err), LC_OK);
    assert_int_equal(plan.how, LC_IMAGE_LOAD);
    assert_non_null(strstr(plan.notice, "loading it there from this machine's docker"));
    lc_image_plan_free(&plan);
    lc_test_write(dir, "label", "0ld\n");
    assert_int_equal(lc_image_plan_make(e, &cfg.container, script, &plan, &err), LC_OK);
    assert_int_equal(plan.how, LC_IMAGE_BUILD);
    assert_string_equal(plan.notice, "the sandbox image litecode-sandbox:" LC_VERSION
                                     " is missing: building it (the first time takes about a minute)");
    lc_image_plan_free(&plan);
    lc_engine_free(e);

    /* This machine's own engine: nothing to load from; the message is for it. */
    unsetenv("DOCKER_HOST");
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("lc-own-test:2");
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    assert_false(lc_engine_elsewhere(e, NULL, 0));
    assert_int_equal(lc_image_plan_make(e, &cfg.container, NULL, &plan, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "the sandbox image lc-own-test:2 (container.image or --image) is not in docker: "
                                    "build or pull it"));
    lc_engine_free(e);

    lc_config_free(&cfg);
    unsetenv("OPENAI_API_KEY");
    setenv("PATH", old, 1);
    free(old);
    free(path);
    free(script);
    free(docker);
    free(dir);
}

/* `--check` with a missing image says what a session would: a user's own
 * container.image on this machine's engine is theirs to build or pull (not
 * litecode's build script, which only makes litecode's own); litecode's own
 * gets the script; on a remote engine, loaded from this machine's. The FAIL
 * line's remedy is the session's message itself. */
static void test_check_missing_image_says_what_fits(void **state)
{
    (void)state;
    char *dir = lc_path_join(tmp, "check-image");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(dir, 0755, &err), LC_OK);
    char *docker = fake_two_dockers(dir);
    char *old = lc_xstrdup(getenv("PATH"));
    char *path = lc_xasprintf("%s:%s", dir, old);
    setenv("PATH", path, 1);
    unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_CONTEXT");
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_DOCKER;
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("lc-own-test:3");
    lc_buf out = LC_BUF_INIT;

    /* A user's own image, here: build or pull it, or use another; not build-image.sh's job. */
    assert_int_equal(lc_exec_check(&cfg.container, &out, &err), LC_ENOTFOUND);
    const char *o = lc_buf_cstr(&out);
    assert_non_null(strstr(o, "FAIL  image lc-own-test:3\n      -> the sandbox image lc-own-test:3 (container.image "
                              "or --image) is not in docker: build or pull it (`docker build -t lc-own-test:3 DIR`, "
                              "`docker pull lc-own-test:3`), or set container.image to an image `docker images` "
                              "lists (litecode's own, litecode-sandbox:" LC_VERSION
                              ", is built by scripts/build-image.sh)\n"));
    assert_null(strstr(o, "build it"));
    /* The same words a session starting with that image stops with. */
    lc_engine *e = NULL;
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    lc_image_plan plan;
    assert_int_equal(lc_image_plan_make(e, &cfg.container, NULL, &plan, &err), LC_ENOTFOUND);
    char *line = lc_xasprintf("      -> %s\n", err.msg);
    assert_non_null(strstr(o, line));
    free(line);

    /* litecode's own image, here: its build script. */
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("litecode-sandbox:" LC_VERSION);
    out.len = 0;
    assert_int_equal(lc_exec_check(&cfg.container, &out, &err), LC_ENOTFOUND);
    assert_non_null(strstr(lc_buf_cstr(&out), "FAIL  image litecode-sandbox:" LC_VERSION "\n      -> the sandbox "
                                              "image litecode-sandbox:" LC_VERSION " is not in docker: build it "
                                              "with scripts/build-image.sh (offline, from Debian), or `docker build "
                                              "-t litecode-sandbox:" LC_VERSION " image/`"));
    assert_int_equal(lc_image_plan_make(e, &cfg.container, NULL, &plan, &err), LC_ENOTFOUND);
    assert_non_null(strstr(lc_buf_cstr(&out), err.msg));
    lc_engine_free(e);

    /* A remote engine without it, this machine's docker with it: loaded at the start. */
    setenv("DOCKER_HOST", "unix:///run/elsewhere.sock", 1);
    lc_test_write(dir, "local-has", "");
    free(cfg.container.image);
    cfg.container.image = lc_xstrdup("lc-own-test:3");
    out.len = 0;
    assert_int_equal(lc_exec_check(&cfg.container, &out, &err), LC_ENOTFOUND);
    assert_non_null(strstr(lc_buf_cstr(&out), "FAIL  image lc-own-test:3\n      -> a session loads it there from "
                                              "this machine's docker when it starts\n"));
    unsetenv("DOCKER_HOST");

    /* The engine's CLI gone between its probe and the image question: the
     * engine's error, not a remedy for a missing image. */
    write_exec(docker, "#!/bin/sh\n[ \"$1\" = version ] && { echo 24.0.5; /bin/rm -f \"$0\"; }\nexit 0\n");
    setenv("PATH", dir, 1); /* not the real docker after it */
    out.len = 0;
    assert_int_not_equal(lc_exec_check(&cfg.container, &out, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&out), "FAIL  image lc-own-test:3\n      -> program 'docker' was not found"));
    assert_null(strstr(lc_buf_cstr(&out), "build or pull"));

    lc_buf_free(&out);
    lc_config_free(&cfg);
    setenv("PATH", old, 1);
    free(old);
    free(path);
    free(docker);
    free(dir);
}

/* ---- what the engine CLI and the build script may see -------------------- */

/* Every line of an env dump file must be an allowed variable, and none of
 * the planted secrets may be there. */
static void assert_env_clean(const char *dump)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(dump, 1 << 20, &b, &err), LC_OK);
    assert_true(b.len > 0);
    assert_non_null(strstr(lc_buf_cstr(&b), "PATH="));
    assert_non_null(strstr(lc_buf_cstr(&b), "DOCKER_HOST=unix:///tmp/lc-test.sock"));
    assert_null(strstr(lc_buf_cstr(&b), "sk-test-openai"));
    assert_null(strstr(lc_buf_cstr(&b), "sk-test-anthropic"));
    assert_null(strstr(lc_buf_cstr(&b), "LITECODE_TEST_SECRET"));
    assert_null(strstr(lc_buf_cstr(&b), "MY_TOKEN"));
    lc_buf_free(&b);
}

static void test_engine_and_build_get_a_minimal_environment(void **state)
{
    (void)state;
    char *bin = lc_path_join(tmp, "envbin");
    mkdir(bin, 0755);
    char *docker = lc_path_join(bin, "docker");
    char *dump = lc_path_join(tmp, "env.txt");
    /* A fake engine: every call appends its environment, `version` answers,
     * `image inspect` finds the image, `run` ends at once (no kernel). */
    char *text = lc_xasprintf("#!/bin/sh\nenv >> '%s'\necho 24.0.5\n", dump);
    write_exec(docker, text);
    free(text);
    char *old = lc_xstrdup(getenv("PATH"));
    char *path = lc_xasprintf("%s:%s", bin, old);
    setenv("PATH", path, 1);
    setenv("OPENAI_API_KEY", "sk-test-openai", 1);
    setenv("ANTHROPIC_API_KEY", "sk-test-anthropic", 1);
    setenv("LITECODE_TEST_SECRET", "1", 1);
    setenv("MY_TOKEN", "MY_TOKEN", 1);
    setenv("DOCKER_HOST", "unix:///tmp/lc-test.sock", 1); /* the engine's own: kept */
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_DOCKER;
    lc_engine *e = NULL;
    lc_err err = {0};

    /* lc_engine_run: the probe in lc_engine_open, and the sweep. */
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    assert_env_clean(dump);
    unlink(dump);
    lc_engine_sweep(e, NULL, &err);
    assert_env_clean(dump);
    unlink(dump);

    /* The sandbox's `run` (and the image check before it). */
    char *shadow = lc_path_join(tmp, "envshadow");
    mkdir(shadow, 0755);
    lc_sandbox_opts so = {&cfg.container, shadow, "envtest", e, NULL};
    lc_executor *ex = NULL;
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    assert_int_not_equal(lc_executor_start(ex, &err), LC_OK); /* the fake has no kernel */
    lc_executor_destroy(ex);
    assert_env_clean(dump);
    unlink(dump);

    /* The image build script. */
    char *script = lc_path_join(tmp, "build-env.sh");
    text = lc_xasprintf("env >> '%s'\n", dump);
    write_exec(script, text);
    free(text);
    assert_int_equal(lc_image_build(e, script, false, NULL, NULL, NULL, &err), LC_OK);
    assert_env_clean(dump);

    unsetenv("OPENAI_API_KEY");
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("LITECODE_TEST_SECRET");
    unsetenv("MY_TOKEN");
    unsetenv("DOCKER_HOST");
    setenv("PATH", old, 1);
    lc_engine_free(e);
    lc_config_free(&cfg);
    unlink(dump);
    unlink(docker);
    unlink(script);
    free(script);
    free(shadow);
    free(old);
    free(path);
    free(dump);
    free(docker);
    free(bin);
}

/* ---- a kernel that goes away -------------------------------------------- */

/* A fake engine whose kernel says ready and then stops reading (as a killed
 * container does): a request finds it gone, the sandbox is restarted once
 * (a second `run`), and the process survives the broken pipe with SIGPIPE
 * at its default action. */
static void test_dead_kernel_is_restarted_without_sigpipe(void **state)
{
    (void)state;
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_DFL);
    char *bin = lc_path_join(tmp, "deadbin");
    mkdir(bin, 0755);
    char *docker = lc_path_join(bin, "docker");
    char *runs = lc_path_join(tmp, "runs.txt");
    char *text = lc_xasprintf("#!/bin/sh\n"
                              "case \"$1\" in\n"
                              "version) echo 24.0.5 ;;\n"
                              "image) echo sha256:fake ;;\n"
                              "inspect) echo 'false 137' ;;\n"
                              "run) echo run >> '%s'; exec 0<&-\n"
                              "    echo '{\"ev\":\"ready\",\"pid\":1,\"python\":\"3\"}'; sleep 1 ;;\n"
                              "esac\n",
                              runs);
    write_exec(docker, text);
    free(text);
    char *old = lc_xstrdup(getenv("PATH"));
    char *path = lc_xasprintf("%s:%s", bin, old);
    setenv("PATH", path, 1);
    lc_config cfg;
    lc_config_defaults(&cfg);
    cfg.container.engine = LC_ENGINE_DOCKER;
    free(cfg.container.transport);
    cfg.container.transport = lc_xstrdup("mount"); /* this fake kernel answers no probe */
    lc_engine *e = NULL;
    lc_err err = {0};
    assert_int_equal(lc_engine_open(&cfg.container, &e, &err), LC_OK);
    char *shadow = lc_path_join(tmp, "deadshadow");
    mkdir(shadow, 0755);
    lc_sandbox_opts so = {&cfg.container, shadow, "deadtest", e, NULL};
    lc_executor *ex = NULL;
    assert_int_equal(lc_sandbox_new(&so, &ex, &err), LC_OK);
    assert_int_equal(lc_executor_start(ex, &err), LC_OK);
    lc_exec_result r;
    /* The fresh kernel stops reading too, so after one restart the check fails: clearly. */
    assert_int_equal(lc_executor_check(ex, "1", &r, &err), LC_EIO);
    assert_non_null(strstr(err.msg, "sending to the kernel"));
    lc_exec_result_free(&r);
    char *count = lc_test_read(tmp, "runs.txt");
    assert_string_equal(count, "run\nrun\n");
    free(count);
    lc_executor_destroy(ex);
    setenv("PATH", old, 1);
    signal(SIGPIPE, old_pipe);
    lc_engine_free(e);
    lc_config_free(&cfg);
    unlink(docker);
    unlink(runs);
    free(shadow);
    free(old);
    free(path);
    free(runs);
    free(docker);
    free(bin);
}

/* ---- the kernel on the host's python3 ------------------------------------ */

typedef struct kernel {
    lc_proc *p;
    lc_buf in;
} kernel;

static const char *kernel_python = "python3";

static void kernel_start(kernel *k, const char *config_json)
{
    char *src = lc_xstrndup(lc_kernel_source, lc_kernel_source_len);
    const char *argv[] = {kernel_python, "-u", "-c", src, config_json, NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdin = po.pipe_stdout = true;
    lc_err err = {0};
    k->in = (lc_buf)LC_BUF_INIT;
    if (lc_proc_spawn(&po, &k->p, &err) != LC_OK)
        fail_msg("python3: %s", err.msg);
    free(src);
}

/* Next event line as JSON (the test fails after 10 s). */
static cJSON *kernel_next(kernel *k)
{
    int64_t deadline = lc_now_ms() + 10000;
    for (;;) {
        char *nl = k->in.len ? memchr(k->in.data, '\n', k->in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - k->in.data);
            cJSON *ev = lc_sandbox_parse_line(k->in.data, n); /* the host's own reader */
            memmove(k->in.data, nl + 1, k->in.len - n - 1);
            k->in.len -= n + 1;
            assert_non_null(ev);
            return ev;
        }
        if (lc_now_ms() > deadline)
            fail_msg("the kernel said nothing for 10 s");
        char buf[4096];
        ssize_t r = read(lc_proc_stdout(k->p), buf, sizeof buf);
        if (r <= 0)
            fail_msg("the kernel's output ended");
        lc_buf_append(&k->in, buf, (size_t)r);
    }
}

static void kernel_send(kernel *k, const char *line)
{
    assert_int_equal(lc_fd_write_all(lc_proc_stdin(k->p), line, strlen(line)), 0);
    assert_int_equal(lc_fd_write_all(lc_proc_stdin(k->p), "\n", 1), 0);
}

/* Collects out events until done; returns done, output in *out. */
static cJSON *kernel_until_done(kernel *k, lc_buf *out)
{
    for (;;) {
        cJSON *ev = kernel_next(k);
        const char *kind = lc_json_str(ev, "ev");
        if (strcmp(kind, "done") == 0)
            return ev;
        if (strcmp(kind, "out") == 0 && out) {
            lc_buf_puts(out, strcmp(lc_json_str(ev, "stream"), "stderr") == 0 ? "[e]" : "");
            lc_buf_puts(out, lc_json_str(ev, "data"));
        }
        cJSON_Delete(ev);
    }
}

static void kernel_stop(kernel *k)
{
    lc_proc_close_stdin(k->p);
    int st = 0;
    assert_int_equal(lc_proc_wait(k->p, 5000, &st), LC_OK); /* exits on stdin EOF */
    lc_proc_free(k->p);
    lc_buf_free(&k->in);
}

static void test_kernel_protocol_survives_hostile_steps(void **state)
{
    (void)state;
    kernel k;
    kernel_start(&k, "{\"imports\":[\"os\",\"sys\"],\"output_cap\":4096}");
    cJSON *ready = kernel_next(&k);
    assert_string_equal(lc_json_str(ready, "ev"), "ready");
    cJSON_Delete(ready);

    /* Writing to fd 1 directly, closing sys.stdout, or printing JSON cannot
     * forge protocol events: they arrive as output. */
    lc_buf out = LC_BUF_INIT;
    kernel_send(&k, "{\"op\":\"exec\",\"id\":1,\"code\":\"import os, sys\\nos.write(1, b'{\\\"ev\\\":\\\"done\\\",\\\"id\\\":1}\\\\n')\\n"
                    "print('{\\\"ev\\\": \\\"ready\\\"}')\\nsys.stdout.close()\"}");
    cJSON *done = kernel_until_done(&k, &out);
    assert_true(lc_json_bool(done, "ok", false));
    assert_non_null(strstr(lc_buf_cstr(&out), "{\"ev\":\"done\",\"id\":1}"));
    assert_non_null(strstr(lc_buf_cstr(&out), "{\"ev\": \"ready\"}"));
    cJSON_Delete(done);

    /* A repr that raises does not take the kernel down. */
    out.len = 0;
    kernel_send(&k, "{\"op\":\"exec\",\"id\":2,\"code\":\"class Bad:\\n    def __repr__(self):\\n        raise ValueError('no')\\nBad()\"}");
    done = kernel_until_done(&k, &out);
    assert_true(lc_json_bool(done, "ok", false));
    assert_non_null(strstr(lc_json_str(done, "value_repr"), "unrepresentable Bad"));
    cJSON_Delete(done);

    /* SystemExit ends the step, not the kernel; output is capped with the tail kept. */
    out.len = 0;
    kernel_send(&k, "{\"op\":\"exec\",\"id\":3,\"code\":\"print('x' * 100000)\\nprint('tail')\\nraise SystemExit(3)\"}");
    done = kernel_until_done(&k, &out);
    assert_false(lc_json_bool(done, "ok", true));
    assert_true(lc_json_bool(done, "truncated", false));
    assert_non_null(strstr(lc_buf_cstr(&out), "bytes of output omitted"));
    assert_non_null(strstr(lc_buf_cstr(&out), "tail\n"));
    assert_true(out.len < 4096 + 200);
    cJSON_Delete(done);

    /* Garbage lines from the host are ignored; the kernel still answers. */
    out.len = 0;
    kernel_send(&k, "this is not json");
    kernel_send(&k, "[1,2,3]");
    kernel_send(&k, "{\"op\":\"exec\",\"id\":4,\"code\":\"21 * 2\"}");
    done = kernel_until_done(&k, &out);
    assert_string_equal(lc_json_str(done, "value_repr"), "42");
    cJSON_Delete(done);

    /* define: trusted helper code with unrestricted imports, exported to steps. */
    kernel_send(&k, "{\"op\":\"define\",\"id\":5,\"code\":\"import json as _j\\ndef helper():\\n    return _j.dumps([1])\"}");
    done = kernel_until_done(&k, NULL);
    assert_true(lc_json_bool(done, "ok", false));
    cJSON_Delete(done);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":6,\"code\":\"helper()\"}");
    done = kernel_until_done(&k, NULL);
    assert_string_equal(lc_json_str(done, "value_repr"), "'[1]'");
    cJSON_Delete(done);
    /* ...while the step itself may still not import json. */
    kernel_send(&k, "{\"op\":\"exec\",\"id\":7,\"code\":\"import json\"}");
    done = kernel_until_done(&k, NULL);
    assert_string_equal(lc_json_str(cJSON_GetObjectItem(done, "error"), "type"), "ImportError");
    cJSON_Delete(done);

    lc_buf_free(&out);
    kernel_stop(&k);
}

/* The copy transport: the kernel reports what a step changed under its
 * workspace (new, changed, binary, large, non-UTF-8 names, symlinks,
 * deletions), and the host writes exactly that into its shadow, which then
 * equals the workspace. Hostile paths never write outside the shadow. */

/* A step's events up to its done, the changes taken into tin; also checks the
 * order the host's clock relies on: "ended" (the step is over: what follows is
 * not its time) once, before any change and the done. */
static int take_all_changes(kernel *k, lc_transport_in *tin, int *refused)
{
    int n = 0, ended = 0;
    for (;;) {
        cJSON *ev = kernel_next(k);
        const char *kind = lc_json_str(ev, "ev");
        if (strcmp(kind, "ended") == 0)
            ended++;
        else if (ended != 1 && (strcmp(kind, "change") == 0 || strcmp(kind, "done") == 0))
            fail_msg("a \"%s\" event came with %d \"ended\" before it", kind, ended);
        if (strcmp(kind, "done") == 0) {
            cJSON_Delete(ev);
            return n;
        }
        if (strcmp(kind, "change") == 0) {
            lc_err err = {0};
            if (lc_transport_take(tin, ev, &err) != LC_OK)
                (*refused)++;
            n++;
        }
        cJSON_Delete(ev);
    }
}

static void take_one(lc_transport_in *tin, const char *json, int want)
{
    cJSON *ev = cJSON_Parse(json);
    lc_err err = {0};
    assert_int_equal(lc_transport_take(tin, ev, &err), want);
    cJSON_Delete(ev);
}

/* The kernel as the copy transport runs it: reporting the changes under ws. */
static void kernel_start_tracking(kernel *k, const char *ws)
{
    char *conf = lc_xasprintf("{\"imports\":[\"*\"],\"track_changes\":true,\"workspace\":\"%s\"}", ws);
    kernel_start(k, conf);
    free(conf);
}

static void test_copy_transport_brings_changes_back(void **state)
{
    (void)state;
    char *ws = lc_path_join(tmp, "ct-ws"), *shadow = lc_path_join(tmp, "ct-shadow");
    char *cmd = lc_xasprintf("mkdir -p %s/sub %s/d/e && echo one > %s/a.txt && echo two > %s/sub/b.txt && "
                             "echo gone > %s/gone.txt && echo x > %s/d/e/x && cp -a %s %s",
                             ws, ws, ws, ws, ws, ws, ws, shadow);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    kernel k;
    kernel_start_tracking(&k, ws);
    lc_transport_in tin;
    lc_transport_in_init(&tin, shadow, 0);
    int refused = 0;
    /* A step that changes nothing sends nothing. */
    kernel_send(&k, "{\"op\":\"exec\",\"id\":1,\"code\":\"1\"}");
    assert_int_equal(take_all_changes(&k, &tin, &refused), 0);
    char *q = lc_xasprintf("'%s'", ws);
    char *full = lc_xasprintf(
        "import os, shutil\n"
        "w = %s\n"
        "open(w + '/a.txt', 'w').write('changed\\n')\n"
        "os.makedirs(w + '/new/deep')\n"
        "open(w + '/new/deep/c.bin', 'wb').write(bytes(range(256)) * 40000)\n"
        "os.chmod(w + '/new/deep/c.bin', 0o750)\n"
        "os.remove(w + '/gone.txt')\n"
        "shutil.rmtree(w + '/d')\n"
        "os.symlink('a.txt', w + '/link')\n"
        "open(os.fsencode(w) + b'/caf\\xe9', 'w').write('latin-1 name')\n",
        q);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "exec");
    cJSON_AddNumberToObject(msg, "id", 2);
    cJSON_AddStringToObject(msg, "code", full);
    char *line = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    kernel_send(&k, line);
    assert_true(take_all_changes(&k, &tin, &refused) >= 6);
    assert_int_equal(refused, 0);
    /* A shared writable mapping kept from one step writes in the next with
     * no inotify event: still reported. Then a step touching nothing, nothing. */
    char *mm = lc_xasprintf("import mmap\n_f = open(%s + '/mm.bin', 'w+b')\n_f.write(b'a' * 4096)\n_f.flush()\n"
                            "_m = mmap.mmap(_f.fileno(), 4096)\n", q);
    cJSON *m1 = cJSON_CreateObject();
    cJSON_AddStringToObject(m1, "op", "exec");
    cJSON_AddNumberToObject(m1, "id", 3);
    cJSON_AddStringToObject(m1, "code", mm);
    char *l1 = cJSON_PrintUnformatted(m1);
    kernel_send(&k, l1);
    assert_true(take_all_changes(&k, &tin, &refused) >= 1);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":4,\"code\":\"_m[0:5] = b'hello'\"}");
    assert_int_equal(take_all_changes(&k, &tin, &refused), 1);
    char *mmc = lc_test_read(shadow, "mm.bin");
    assert_memory_equal(mmc, "helloaaa", 8);
    free(mmc);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":5,\"code\":\"_m.close()\\n_f.close()\"}");
    take_all_changes(&k, &tin, &refused);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":6,\"code\":\"2 + 2\"}");
    assert_int_equal(take_all_changes(&k, &tin, &refused), 0);
    assert_int_equal(refused, 0);
    cJSON_Delete(m1);
    free(l1);
    free(mm);
    lc_transport_in_end(&tin);
    cmd = lc_xasprintf("diff -r --no-dereference %s %s", ws, shadow);
    assert_int_equal(system(cmd), 0); /* the shadow is the workspace, byte for byte */
    free(cmd);
    struct stat st;
    char *bin = lc_path_join(shadow, "new/deep/c.bin");
    assert_int_equal(lstat(bin, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0750);
    assert_int_equal(st.st_size, 256 * 40000);
    free(bin);

    /* Hostile events: out of the shadow, through a symlink, bad base64. */
    lc_transport_in_init(&tin, shadow, 0);
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"file\",\"path\":\"Li4vZXNjYXBl\",\"data\":\"eA==\"}", LC_EPROTO); /* ../escape */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"file\",\"path\":\"L3RtcC94\",\"data\":\"eA==\"}", LC_EPROTO);     /* /tmp/x */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"gone\",\"path\":\"YS8uLi8uLg==\"}", LC_EPROTO);                  /* a/../.. */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"file\",\"path\":\"!!!!\",\"data\":\"eA==\"}", LC_EPROTO);
    char *out = lc_path_join(tmp, "ct-outside");
    mkdir(out, 0755);
    char *evil = lc_path_join(shadow, "evil");
    assert_int_equal(symlink(out, evil), 0);
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"file\",\"path\":\"ZXZpbC94\",\"data\":\"eA==\"}", LC_EPROTO); /* evil/x */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"gone\",\"path\":\"ZXZpbC94\"}", LC_EPROTO);
    char *x = lc_path_join(out, "x");
    assert_int_not_equal(access(x, F_OK), 0);
    /* Removing the symlink itself removes the link, never what it points at. */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"gone\",\"path\":\"ZXZpbA==\"}", LC_OK);
    assert_int_equal(access(out, F_OK), 0);
    lc_transport_in_end(&tin);

    kernel_stop(&k);
    free(x);
    free(evil);
    free(out);
    free(line);
    free(full);
    free(q);
    free(ws);
    free(shadow);
}

/* The kernel looks again only where inotify says a step did something: a
 * random run of steps (files written, appended, truncated, chmod'ed, renamed
 * across directories, directories made, moved and removed, symlinks, hard
 * links written through the other name, listings and reads) must leave the
 * shadow equal to the workspace after every step, modes included. */
static const char random_step[] =
    "import os, random, shutil\n"
    "w = %s\n"
    "r = random.Random(%d)\n"
    "def pick(kind=None):\n"
    "    out = []\n"
    "    for d, ds, fs in os.walk(w):\n"
    "        for n in (ds if kind == 'd' else fs if kind == 'f' else ds + fs):\n"
    "            out.append(os.path.join(d, n))\n"
    "    return r.choice(out) if out else None\n"
    "def name():\n"
    "    base = pick('d') if r.random() < 0.6 else w\n"
    "    return os.path.join(base or w, 'n%%d' %% r.randrange(30))\n"
    "for _ in range(r.randrange(1, 12)):\n"
    "    op = r.randrange(11)\n"
    "    try:\n"
    "        if op == 0:\n"
    "            open(name(), 'w').write('x' * r.randrange(100))\n"
    "        elif op == 1 and pick('f'):\n"
    "            open(pick('f'), 'a').write('more')\n"
    "        elif op == 2 and pick('f'):\n"
    "            os.chmod(pick('f'), r.choice([0o600, 0o644, 0o755]))\n"
    "        elif op == 3:\n"
    "            os.makedirs(os.path.join(name(), 'sub%%d' %% r.randrange(3)))\n"
    "        elif op == 4 and pick():\n"
    "            os.replace(pick(), name())\n"
    "        elif op == 5 and pick('d'):\n"
    "            shutil.rmtree(pick('d'))\n"
    "        elif op == 6 and pick('f'):\n"
    "            os.remove(pick('f'))\n"
    "        elif op == 7:\n"
    "            os.symlink('t%%d' %% r.randrange(5), name())\n"
    "        elif op == 8 and pick('f'):\n"
    "            a, b = pick('f'), name()\n"
    "            os.link(a, b)\n"
    "            with open(b, 'r+') as f: f.write('via the other link')\n"
    "        elif op == 9:\n"
    "            for d, ds, fs in os.walk(w):\n"
    "                for n in fs: open(os.path.join(d, n), 'rb').read()\n"
    "        elif op == 10 and pick('d'):\n"
    "            os.chmod(pick('d'), r.choice([0o700, 0o755]))\n"
    "    except OSError:\n"
    "        pass\n";

static const char same_trees[] =
    "import os, stat, sys\n"
    "def tree(top):\n"
    "    out = {}\n"
    "    for d, ds, fs in os.walk(top):\n"
    "        for n in ds + fs:\n"
    "            p = os.path.join(d, n); st = os.lstat(p); rel = os.path.relpath(p, top)\n"
    "            if stat.S_ISLNK(st.st_mode): out[rel] = ('l', os.readlink(p))\n"
    "            elif stat.S_ISDIR(st.st_mode): out[rel] = ('d', st.st_mode & 0o777)\n"
    "            else: out[rel] = ('f', st.st_mode & 0o777, open(p, 'rb').read())\n"
    "    return out\n"
    "a, b = tree(sys.argv[1]), tree(sys.argv[2])\n"
    "for k in sorted(a.keys() | b.keys()):\n"
    "    if a.get(k) != b.get(k): print('differs:', k, a.get(k), b.get(k)); sys.exit(1)\n";

static void test_copy_transport_random_steps(void **state)
{
    (void)state;
    char *ws = lc_path_join(tmp, "rs-ws"), *shadow = lc_path_join(tmp, "rs-shadow");
    char *cmd = lc_xasprintf("mkdir -p %s/a/b %s/c && echo one > %s/a/one && echo two > %s/a/b/two && "
                             "ln %s/a/one %s/c/hard && cp -a %s %s",
                             ws, ws, ws, ws, ws, ws, ws, shadow);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    kernel k;
    kernel_start_tracking(&k, ws);
    char *check = lc_path_join(tmp, "rs-same.py");
    lc_err err = {0};
    assert_int_equal(lc_file_write_atomic(check, same_trees, strlen(same_trees), 0644, &err), LC_OK);
    char *q = lc_xasprintf("'%s'", ws);
    int refused = 0;
    lc_transport_in tin;
    lc_transport_in_init(&tin, shadow, 0);
    /* A write through a hard link made before the session: only c/ gets the event. */
    char *via = lc_xasprintf("open(%s + '/c/hard', 'r+').write('ONE')", q);
    /* More events than the queue holds (they are not merged: two files in turn): it overflows,
     * and everything is looked at again. */
    char *flood = lc_xasprintf("import os\nw = %s\nfa, fb = open(w + '/a/one', 'a'), open(w + '/fl', 'a')\n"
                               "for i in range(40000):\n    (fa if i %% 2 else fb).write('x'); (fa if i %% 2 else fb).flush()\n"
                               "    if i == 20000: open(w + '/a/b/mid', 'w').write('in the flood')\n",
                               q);
    for (int step = 0; step < 62; step++) {
        char *code = step == 0 ? lc_xstrdup(via) : step == 1 ? lc_xstrdup(flood) : lc_xasprintf(random_step, q, step);
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "op", "exec");
        cJSON_AddNumberToObject(msg, "id", step + 1);
        cJSON_AddStringToObject(msg, "code", code);
        char *line = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        kernel_send(&k, line);
        take_all_changes(&k, &tin, &refused);
        free(line);
        free(code);
        cmd = lc_xasprintf("python3 %s %s %s", check, ws, shadow);
        if (system(cmd) != 0)
            fail_msg("after step %d the shadow is not the workspace", step);
        free(cmd);
    }
    assert_int_equal(refused, 0);
    lc_transport_in_end(&tin);
    kernel_stop(&k);
    free(flood);
    free(via);
    free(q);
    free(check);
    free(ws);
    free(shadow);
}

/* Sends one exec step of code to the kernel and takes its changes into tin. */
static int step_changes(kernel *k, int id, const char *code, lc_transport_in *tin, int *refused)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "exec");
    cJSON_AddNumberToObject(msg, "id", id);
    cJSON_AddStringToObject(msg, "code", code);
    char *line = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    kernel_send(k, line);
    free(line);
    return take_all_changes(k, tin, refused);
}

/* What inotify does not see still comes back. Writes through a shared
 * mapping raise no event and need not change a file's size or times, so a
 * step that maps a file through a descriptor an earlier step opened, writes
 * and unmaps leaves no trace but the contents; nor does a mapping kept from
 * an earlier step written again. What the kernel cannot read at all (here a
 * path longer than the system takes) is said, never silently left out, and
 * what the host has there is kept. */
static void test_copy_transport_sees_what_inotify_does_not(void **state)
{
    (void)state;
    char *ws = lc_path_join(tmp, "hid-ws"), *shadow = lc_path_join(tmp, "hid-shadow");
    char *cmd = lc_xasprintf("mkdir -p %s/d && printf 'ffff' > %s/d/f && head -c 8192 /dev/zero | tr '\\0' a > "
                             "%s/big.bin && cp -a %s %s",
                             ws, ws, ws, ws, shadow);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    kernel k;
    kernel_start_tracking(&k, ws);
    lc_transport_in tin;
    lc_transport_in_init(&tin, shadow, 0);
    int refused = 0, id = 1;
    char *open_code = lc_xasprintf("import mmap, os\ng = os.open('%s/d/f', os.O_RDWR)\n"
                                   "b = os.open('%s/big.bin', os.O_RDWR)\nm = mmap.mmap(b, 0)\nm[0:1] = b'1'",
                                   ws, ws);
    step_changes(&k, id++, open_code, &tin, &refused);
    /* map, write and unmap in one step, through the earlier descriptor */
    step_changes(&k, id++, "x = mmap.mmap(g, 0)\nx[0:2] = b'ZZ'\nx.close()", &tin, &refused);
    char *f = lc_test_read(shadow, "d/f");
    assert_string_equal(f, "ZZff");
    free(f);
    /* the mapping kept from step 1: the same page again, then another */
    step_changes(&k, id++, "m[1:2] = b'2'", &tin, &refused);
    step_changes(&k, id++, "m[4096:4097] = b'3'", &tin, &refused);
    char *big = lc_test_read(shadow, "big.bin");
    assert_memory_equal(big, "12aa", 4);
    assert_int_equal(big[4096], '3');
    free(big);
    /* a step that touches nothing sends nothing, even with the mapping and the descriptor kept */
    assert_int_equal(step_changes(&k, id++, "2 + 2", &tin, &refused), 0);
    assert_int_equal(step_changes(&k, id++, "m.close()\nos.close(b)\nos.close(g)", &tin, &refused), 0);
    assert_int_equal(step_changes(&k, id++, "3 + 3", &tin, &refused), 0);
    assert_int_equal(refused, 0);
    assert_int_equal(tin.unread, 0);
    assert_null(lc_transport_in_note(&tin));

    /* A file below a path longer than PATH_MAX, next to one the kernel can read. */
    char *deep = lc_xasprintf("os.chdir('%s')\nopen('near', 'w').write('near')\nfor i in range(19):\n"
                              "    os.mkdir('x' * 200); os.chdir('x' * 200)\n"
                              "os.mkdir('y' * 60); os.chdir('y' * 60)\nopen('z' * 250, 'w').write('far')\n"
                              "os.chdir('%s')",
                              ws, ws);
    step_changes(&k, id++, deep, &tin, &refused);
    char *near = lc_test_read(shadow, "near");
    assert_string_equal(near, "near");
    free(near);
    assert_int_equal(tin.unread, 1);
    char *note = lc_transport_in_note(&tin);
    assert_non_null(note);
    assert_non_null(strstr(note, "1 entry in the sandbox could not be brought back"));
    assert_non_null(strstr(note, "xxxxxxxx"));
    assert_non_null(strstr(note, "(File name too long)"));
    free(note);
    /* told once, not after every step */
    step_changes(&k, id++, "4 + 4", &tin, &refused);
    assert_int_equal(tin.unread, 1);
    lc_transport_in_end(&tin);
    /* Special files never come back: said, and a file a fifo replaced is kept as it was, not deleted. */
    lc_transport_in_init(&tin, shadow, 0);
    char *fifo = lc_xasprintf("os.mkfifo('%s/a-pipe')\nos.remove('%s/near')\nos.mkfifo('%s/near')", ws, ws, ws);
    step_changes(&k, id++, fifo, &tin, &refused);
    free(fifo);
    assert_int_equal(tin.unread, 2);
    note = lc_transport_in_note(&tin);
    assert_non_null(strstr(note, "a-pipe (a fifo: special files are not brought back)"));
    free(note);
    near = lc_test_read(shadow, "near");
    assert_string_equal(near, "near");
    free(near);
    assert_int_equal(refused, 0);
    lc_transport_in_end(&tin);

    /* Hostile "unread" events only count: nothing is written, a bad one is refused. */
    lc_transport_in_init(&tin, shadow, 0);
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"unread\",\"path\":\"Li4vLi4vZXRj\",\"why\":\"\\u001b[31m\",\"more\":5}",
             LC_OK); /* ../../etc */
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"unread\",\"path\":\"!!\"}", LC_EPROTO);
    take_one(&tin, "{\"ev\":\"change\",\"kind\":\"unread\"}", LC_EPROTO);
    assert_int_equal(tin.unread, 6);
    note = lc_transport_in_note(&tin);
    assert_non_null(strstr(note, "6 entries in the sandbox could not be brought back"));
    assert_null(strchr(note, '\033'));
    free(note);
    lc_transport_in_end(&tin);
    kernel_stop(&k);
    free(deep);
    free(open_code);
    free(ws);
    free(shadow);
}

/* The kernel starts in the project (/workspace), where `python3 -c` looks for
 * modules first: a project file named like a module the kernel or litecode's
 * helper code imports (json.py, base64.py, traceback.py, re.py...) must never
 * run without a step that imports it. A step still imports the project's own
 * modules from there. */
static void test_kernel_never_imports_from_the_project(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("hostile-modules");
    char *marker = lc_path_join(dir, "RAN");
    static const char *const names[] = {"json", "base64", "collections", "select", "socket", "time", "ast",
                                        "linecache", "threading", "traceback", "subprocess", "types",
                                        "fcntl", "termios", "ctypes", "re", "glob", "fnmatch", "difflib",
                                        "textwrap", "pathlib", "shutil", "tokenize", "inspect"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char file[64], body[512];
        snprintf(file, sizeof file, "%s.py", names[i]);
        snprintf(body, sizeof body, "open(%s, 'a').write('%s\\n')\n", "__file__.rsplit('/', 1)[0] + '/RAN'",
                 names[i]);
        lc_test_write(dir, file, body);
    }
    lc_test_write(dir, "mymod.py", "VALUE = 42\n");
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(dir), 0);
    kernel k;
    kernel_start(&k, "{}");
    assert_int_equal(chdir(old), 0);
    cJSON_Delete(kernel_next(&k)); /* ready */
    /* litecode's helper code imports what it likes: from the standard library only */
    kernel_send(&k, "{\"op\":\"define\",\"id\":1,\"code\":\"import re, glob, fnmatch, difflib, textwrap, pathlib, "
                    "shutil, tokenize, inspect\\ndef helper():\\n    return re.escape('a.b')\"}");
    cJSON *done = kernel_until_done(&k, NULL);
    assert_true(lc_json_bool(done, "ok", false));
    cJSON_Delete(done);
    /* a failing step: its traceback is made by the kernel */
    kernel_send(&k, "{\"op\":\"exec\",\"id\":2,\"code\":\"1/0\",\"timeout_s\":30}");
    done = kernel_until_done(&k, NULL);
    assert_false(lc_json_bool(done, "ok", true));
    cJSON_Delete(done);
    kernel_send(&k, "{\"op\":\"check\",\"id\":3,\"code\":\"x = (\"}");
    cJSON_Delete(kernel_until_done(&k, NULL));
    /* nothing of the project ran so far */
    struct stat st;
    if (stat(marker, &st) == 0) {
        char *ran = lc_test_read(dir, "RAN");
        fail_msg("the project's modules ran without a step importing them: %s", ran);
    }
    /* a step imports the project's own modules as python in the project would */
    kernel_send(&k, "{\"op\":\"exec\",\"id\":4,\"code\":\"import mymod\\nmymod.VALUE + len(helper())\",\"timeout_s\":30}");
    done = kernel_until_done(&k, NULL);
    assert_true(lc_json_bool(done, "ok", false));
    assert_string_equal(lc_json_str(done, "value_repr"), "46");
    cJSON_Delete(done);
    assert_int_not_equal(stat(marker, &st), 0);
    kernel_stop(&k);
    lc_err rerr = {0};
    lc_rm_rf(dir, &rerr);
    free(marker);
    free(dir);
}

/* Issue 14: given two users (as the sandbox does), the kernel started as root
 * splits: the worker runs steps under one uid, the supervisor under another
 * (real uid the worker's), neither with a capability; a step cannot open the
 * supervisor's descriptors or memory, and the main-thread check still works.
 * On the host it needs root (CI runs as root); skipped otherwise. */
static void test_kernel_splits_into_two_users(void **state)
{
    (void)state;
    /* The system's python: the step's user must be able to read the interpreter's
     * files (a pyenv under /root is closed to it). */
    if (geteuid() != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "SKIPPED: needs root and /usr/bin/python3 to start the kernel as the sandbox does\n");
        skip();
    }
    kernel_python = "/usr/bin/python3";
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir("/"), 0);
    kernel k;
    kernel_start(&k, "{\"users\":{\"worker\":[65533,65533],\"supervisor\":[65532,65532]}}");
    assert_int_equal(chdir(old), 0);
    cJSON *ready = kernel_next(&k);
    assert_string_equal(lc_json_str(ready, "ev"), "ready");
    assert_int_equal(lc_json_int(ready, "uid", -1, -1, 1 << 30), 65533);
    assert_int_equal(lc_json_int(ready, "euid", -1, -1, 1 << 30), 65532);
    assert_true(lc_json_bool(ready, "verified", false)); /* reads the worker's /proc as its user */
    cJSON_Delete(ready);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":1,\"timeout_s\":30,\"code\":\""
                    "import os\\n"
                    "def st(p):\\n"
                    "    return {l.split(':')[0]: l.split()[1:] for l in open('/proc/%s/status' % p)}\\n"
                    "me, sup = st('self'), st(os.getppid())\\n"
                    "reached = []\\n"
                    "for path in ['/proc/%d/fd/%d' % (os.getppid(), n) for n in range(8)] + ['/proc/%d/mem' % os.getppid()]:\\n"
                    "    try:\\n"
                    "        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK)); reached.append(path)\\n"
                    "    except OSError:\\n"
                    "        pass\\n"
                    "(me['Uid'], me['CapEff'], me['CapPrm'], sup['Uid'][:3], sup['CapEff'], sup['CapPrm'], reached)\"}");
    cJSON *done = kernel_until_done(&k, NULL);
    assert_true(lc_json_bool(done, "ok", false));
    assert_string_equal(lc_json_str(done, "value_repr"),
                        "(['65533', '65533', '65533', '65533'], ['0000000000000000'], ['0000000000000000'], "
                        "['65533', '65532', '65532'], ['0000000000000000'], ['0000000000000000'], [])");
    cJSON_Delete(done);
    kernel_send(&k, "{\"op\":\"exec\",\"id\":2,\"timeout_s\":30,\"code\":\"6 * 7\"}");
    done = kernel_until_done(&k, NULL);
    assert_string_equal(lc_json_str(done, "value_repr"), "42"); /* stopped and thawed across uids */
    cJSON_Delete(done);
    kernel_stop(&k);
    /* Ids that are not two different non-root pairs are refused. */
    kernel_start(&k, "{\"users\":{\"worker\":[1000,1000],\"supervisor\":[1000,999]}}");
    lc_proc_close_stdin(k.p);
    int st = 0;
    assert_int_equal(lc_proc_wait(k.p, 5000, &st), LC_OK);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    lc_proc_free(k.p);
    lc_buf_free(&k.in);
    kernel_python = "python3";
}

static void test_kernel_import_patterns(void **state)
{
    (void)state;
    kernel k;
    kernel_start(&k, "{\"imports\":[\"os.*\",\"collections\"]}");
    cJSON_Delete(kernel_next(&k));
    const char *ok[] = {"import os", "import os.path", "import collections", "from collections import OrderedDict"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddStringToObject(msg, "op", "exec");
        cJSON_AddNumberToObject(msg, "id", (double)i + 1);
        cJSON_AddStringToObject(msg, "code", ok[i]);
        char *line = lc_json_print(msg);
        kernel_send(&k, line);
        free(line);
        cJSON_Delete(msg);
        cJSON *done = kernel_until_done(&k, NULL);
        if (!lc_json_bool(done, "ok", false))
            fail_msg("%s was refused", ok[i]);
        cJSON_Delete(done);
    }
    kernel_send(&k, "{\"op\":\"exec\",\"id\":9,\"code\":\"import collections.abc\"}");
    cJSON *done = kernel_until_done(&k, NULL);
    const cJSON *e = cJSON_GetObjectItem(done, "error");
    assert_non_null(strstr(lc_json_str(e, "message"), "'collections.abc' is not allowed"));
    assert_non_null(strstr(lc_json_str(e, "message"), "collections, os.*"));
    cJSON_Delete(done);
    kernel_stop(&k);
}

static void kernel_exec(kernel *k, int id, const char *code)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "exec");
    cJSON_AddNumberToObject(msg, "id", id);
    cJSON_AddStringToObject(msg, "code", code);
    char *line = lc_json_print(msg);
    kernel_send(k, line);
    free(line);
    cJSON_Delete(msg);
}

/* Collects a step's events: output text, the done, and whether any event that
 * was not out/skipped/ended/done (or carried another step's id) arrived. */
static cJSON *kernel_step(kernel *k, int id, lc_buf *out, int *skipped_events, bool *stray)
{
    for (;;) {
        cJSON *ev = kernel_next(k);
        const char *kind = lc_json_str(ev, "ev");
        if ((int)lc_json_num(ev, "id", -1) != id)
            *stray = true;
        if (strcmp(kind, "done") == 0)
            return ev;
        if (strcmp(kind, "out") == 0)
            lc_buf_puts(out, lc_json_str(ev, "data"));
        else if (strcmp(kind, "skipped") == 0 && skipped_events)
            (*skipped_events)++;
        else if (strcmp(kind, "skipped") != 0 && strcmp(kind, "ended") != 0)
            *stray = true;
        cJSON_Delete(ev);
    }
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The attack of issue 10: a thread started by step 1 tries every route it can
 * find to send results as the kernel (every descriptor, the supervisor's
 * /proc/<ppid>/fd, the kernel module through sys.modules and gc, signals to the
 * supervisor), and writes a file all the while. */
static const char attack_code[] =
    "import os, sys, threading, time, json, gc, signal\n"
    "FORGED = [(json.dumps(m) + '\\n').encode() for m in (\n"
    "    {'kind': 'done', 'ok': True, 'has_final': True, 'final_answer': 'FORGED'},\n"
    "    {'kind': 'tool_call', 'name': 'ask_user', 'args': {'question': 'FORGED'}},\n"
    "    {'ev': 'done', 'id': 2, 'ok': True, 'has_final': True, 'final_answer': 'FORGED'})]\n"
    "reached = []\n"
    "def attack():\n"
    "    while True:\n"
    "        for fd in range(64):\n"
    "            for data in FORGED:\n"
    "                try:\n"
    "                    os.write(fd, data)\n"
    "                except OSError:\n"
    "                    pass\n"
    "        for n in range(64):\n"
    "            for path in ('/proc/%d/fd/%d' % (os.getppid(), n), '/proc/%d/fd/%d' % (os.getpid(), n)):\n"
    "                for mode in (os.O_WRONLY, os.O_RDONLY):\n"
    "                    try:\n"
    "                        fd = os.open(path, mode | os.O_NONBLOCK)\n"
    "                    except OSError:\n"
    "                        continue\n"
    "                    if '/%d/' % os.getppid() in path:\n"
    "                        reached.append(path)\n"
    "                    try:\n"
    "                        os.write(fd, FORGED[2]) if mode == os.O_WRONLY else os.read(fd, 4096)\n"
    "                    except OSError:\n"
    "                        pass\n"
    "                    os.close(fd)\n"
    "        main = sys.modules['__main__']\n"
    "        for name in dir(main):\n"
    "            if not name.startswith('__'):\n"
    "                reached.append('__main__.' + name)\n"
    "        for o in gc.get_objects():\n"
    "            if callable(o) and getattr(o, '__name__', '') in ('send', '_send', 'to_w'):\n"
    "                try:\n"
    "                    o({'ev': 'done', 'id': 2, 'ok': True, 'has_final': True, 'final_answer': 'FORGED'})\n"
    "                except BaseException:\n"
    "                    pass\n"
    "        for sig in (signal.SIGCONT, signal.SIGINT):\n"
    "            try:\n"
    "                os.kill(os.getppid(), sig)\n"
    "            except OSError:\n"
    "                pass\n"
    "        with open(TICKS, 'a') as f:\n"
    "            f.write('x')\n"
    "        time.sleep(0.005)\n"
    "threading.Thread(target=attack, daemon=True).start()\n"
    "time.sleep(0.3)\n";

static void test_kernel_thread_left_by_a_step_cannot_forge_or_run_between_steps(void **state)
{
    (void)state;
    kernel k;
    kernel_start(&k, "{\"imports\":[\"*\"]}");
    cJSON *ready = kernel_next(&k);
    assert_true(lc_json_bool(ready, "verified", false)); /* the main-thread check works here */
    cJSON_Delete(ready);
    char *ticks = lc_path_join(tmp, "ticks");
    char *code = lc_xasprintf("TICKS = %s%s%s\n%s", "'", ticks, "'", attack_code);
    lc_buf out = LC_BUF_INIT;
    bool stray = false;
    kernel_exec(&k, 1, code);
    cJSON *done = kernel_step(&k, 1, &out, NULL, &stray);
    if (!lc_json_bool(done, "ok", false))
        fail_msg("step 1: %s", cJSON_PrintUnformatted(done));
    assert_false(stray);
    assert_null(cJSON_GetObjectItem(done, "has_final"));
    assert_int_equal((int)lc_json_num(done, "left_threads", -1), 1); /* counted by the supervisor */
    cJSON_Delete(done);

    /* Between steps the thread is frozen: the file it appends to does not grow. */
    long before = file_size(ticks);
    assert_true(before > 0);
    usleep(300 * 1000);
    assert_int_equal(file_size(ticks), before);

    /* Step 2's real output and result arrive; nothing forged is accepted. */
    out.len = 0;
    kernel_exec(&k, 2, "import time\nprint('real output of step 2')\ntime.sleep(0.3)\n'step2'");
    done = kernel_step(&k, 2, &out, NULL, &stray);
    assert_false(stray);
    assert_non_null(strstr(lc_buf_cstr(&out), "real output of step 2\n"));
    assert_true(lc_json_bool(done, "ok", false));
    assert_string_equal(lc_json_str(done, "value_repr"), "'step2'");
    assert_null(cJSON_GetObjectItem(done, "has_final"));
    assert_true(lc_json_num(done, "rejected", 0) > 0); /* it did try, and was refused */
    cJSON_Delete(done);
    assert_true(file_size(ticks) > before); /* it ran again during step 2 */
    before = file_size(ticks);
    usleep(300 * 1000);
    assert_int_equal(file_size(ticks), before);

    /* What the thread reached: not the supervisor's descriptors, not the kernel's module. */
    out.len = 0;
    kernel_exec(&k, 3, "print(sorted(set(reached)))");
    done = kernel_step(&k, 3, &out, NULL, &stray);
    assert_non_null(strstr(lc_buf_cstr(&out), "[]\n"));
    cJSON_Delete(done);

    /* A step that waits for a host tool while the thread forges tool calls gets only
     * its own answer, and the host saw exactly one call. */
    kernel_exec(&k, 4, "_lc_host_tool('ask_user', question='real?')");
    int calls = 0;
    for (;;) {
        cJSON *ev = kernel_next(&k);
        const char *kind = lc_json_str(ev, "ev");
        if (strcmp(kind, "tool_call") == 0) {
            calls++;
            assert_string_equal(lc_json_str(cJSON_GetObjectItem(ev, "args"), "question"), "real?");
            char line[128];
            snprintf(line, sizeof line, "{\"op\":\"tool_result\",\"id\":4,\"call\":%d,\"ok\":true,\"value\":\"yes\"}",
                     (int)lc_json_num(ev, "call", 0));
            kernel_send(&k, line);
        }
        bool end = strcmp(kind, "done") == 0;
        if (end)
            assert_string_equal(lc_json_str(ev, "value_repr"), "'yes'");
        cJSON_Delete(ev);
        if (end)
            break;
    }
    assert_int_equal(calls, 1);
    lc_buf_free(&out);
    free(code);
    free(ticks);
    kernel_stop(&k);
}

static void test_kernel_output_volume_nul_and_skipped(void **state)
{
    (void)state;
    kernel k;
    kernel_start(&k, "{\"imports\":[\"*\"],\"output_cap\":65536}");
    cJSON_Delete(kernel_next(&k));
    lc_buf out = LC_BUF_INIT;
    bool stray = false;
    int skipped = 0;

    /* A NUL and invalid UTF-8 are shown escaped, never cut: from print, from a raw
     * write, from a subprocess. */
    kernel_exec(&k, 1, "import os, sys\nprint('before\\x00after')\nsys.stdout.flush()\nos.write(1, b'raw\\x00\\xff\\n')\n"
                       "os.system('printf \"sh\\\\000ell\\\\n\"')\nprint('end')");
    cJSON *done = kernel_step(&k, 1, &out, &skipped, &stray);
    assert_string_equal(lc_buf_cstr(&out), "before\\x00after\nraw\\x00\\xff\nsh\\x00ell\nend\n");
    cJSON_Delete(done);

    /* 200,000 lines: the head streams, the rest is counted live in skipped events,
     * the tail is kept, and the omitted bytes are said. */
    out.len = 0;
    kernel_exec(&k, 2, "for i in range(200000):\n    print('line', i)\n");
    done = kernel_step(&k, 2, &out, &skipped, &stray);
    assert_false(stray);
    assert_true(skipped >= 1);
    assert_true(lc_json_bool(done, "truncated", false));
    assert_true(lc_json_num(done, "dropped", 0) > 2000000);
    assert_non_null(strstr(lc_buf_cstr(&out), "line 0\nline 1\n"));
    assert_non_null(strstr(lc_buf_cstr(&out), "bytes of output omitted"));
    assert_true(lc_str_ends_with(lc_buf_cstr(&out), "line 199999\n"));
    assert_true(out.len < 65536 + 200);
    cJSON_Delete(done);
    lc_buf_free(&out);
    kernel_stop(&k);
}

static void test_kernel_check_survives_hostile_code(void **state)
{
    (void)state;
    kernel k;
    kernel_start(&k, "{\"imports\":[\"*\"]}");
    cJSON_Delete(kernel_next(&k));
    /* Nesting deep enough to break a compiler: an error, and the kernel still answers. */
    lc_buf code = LC_BUF_INIT;
    for (int i = 0; i < 200000; i++)
        lc_buf_puts(&code, "-");
    lc_buf_puts(&code, "1");
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "check");
    cJSON_AddNumberToObject(msg, "id", 1);
    cJSON_AddStringToObject(msg, "code", lc_buf_cstr(&code));
    char *line = lc_json_print(msg);
    kernel_send(&k, line);
    free(line);
    cJSON_Delete(msg);
    cJSON *done = kernel_next(&k);
    assert_false(lc_json_bool(done, "ok", true));
    cJSON_Delete(done);
    kernel_exec(&k, 2, "6 * 7");
    lc_buf out = LC_BUF_INIT;
    bool stray = false;
    done = kernel_step(&k, 2, &out, NULL, &stray);
    assert_string_equal(lc_json_str(done, "value_repr"), "42");
    cJSON_Delete(done);
    lc_buf_free(&out);
    lc_buf_free(&code);
    kernel_stop(&k);
}

/* The host's reader of kernel lines: NULs survive as \x00, numbers are checked. */
static void test_host_reads_kernel_lines_safely(void **state)
{
    (void)state;
    const char *esc = "{\"ev\":\"out\",\"data\":\"a\\u0000b\\\\u0000c\"}";
    cJSON *ev = lc_sandbox_parse_line(esc, strlen(esc));
    assert_string_equal(lc_json_str(ev, "data"), "a\\x00b\\u0000c");
    cJSON_Delete(ev);
    const char raw[] = "{\"ev\":\"out\",\"data\":\"x\0y\"}";
    ev = lc_sandbox_parse_line(raw, sizeof raw - 1);
    if (ev) /* a raw NUL is not JSON; if it parses at all, nothing is cut */
        assert_string_equal(lc_json_str(ev, "data"), "x\\x00y");
    cJSON_Delete(ev);

    const char *nums = "{\"big\":1e300,\"neg\":-1,\"frac\":1.5,\"str\":\"5\",\"ok\":7,\"nan\":null}";
    ev = lc_sandbox_parse_line(nums, strlen(nums));
    int64_t v = -5;
    assert_false(lc_sandbox_json_int(ev, "big", 0, 1e9, &v));
    assert_false(lc_sandbox_json_int(ev, "neg", 0, 1e9, &v));
    assert_false(lc_sandbox_json_int(ev, "frac", 0, 1e9, &v));
    assert_false(lc_sandbox_json_int(ev, "str", 0, 1e9, &v));
    assert_false(lc_sandbox_json_int(ev, "nan", 0, 1e9, &v));
    assert_false(lc_sandbox_json_int(ev, "missing", 0, 1e9, &v));
    assert_int_equal(v, -5);
    assert_true(lc_sandbox_json_int(ev, "ok", 0, 1e9, &v));
    assert_int_equal(v, 7);
    cJSON_Delete(ev);

    /* A done with hostile numbers: nothing out of range is used. */
    const char *d = "{\"ev\":\"done\",\"id\":1,\"ok\":false,\"dropped\":-4,\"left_threads\":1e12,"
                    "\"killed_processes\":2,\"rejected\":3,"
                    "\"error\":{\"type\":\"E\",\"message\":\"m\",\"traceback\":\"\",\"lineno\":99999999999}}";
    ev = lc_sandbox_parse_line(d, strlen(d));
    lc_exec_result r;
    memset(&r, 0, sizeof r);
    lc_sandbox_fill_done(&r, ev, LC_WHY_NONE);
    lc_sandbox_clamp_line(&r, "a = 1\nb = 2\n");
    assert_int_equal(r.error_line, 0);
    assert_int_equal((int)r.dropped_bytes, 0);
    assert_int_equal(r.left_threads, 0);
    assert_int_equal(r.killed_processes, 2);
    assert_int_equal(r.rejected_messages, 3);
    assert_non_null(strstr(r.notice, "left 2 processes running"));
    assert_non_null(strstr(r.notice, "refused 3 messages"));
    lc_exec_result_free(&r);
    cJSON_Delete(ev);

    /* The left-thread report the user and the model read. */
    const char *t = "{\"ev\":\"done\",\"id\":1,\"ok\":true,\"left_threads\":1,\"error\":{\"lineno\":2}}";
    ev = lc_sandbox_parse_line(t, strlen(t));
    memset(&r, 0, sizeof r);
    lc_sandbox_fill_done(&r, ev, LC_WHY_NONE);
    lc_sandbox_clamp_line(&r, "a = 1\nb = 2\n");
    assert_int_equal(r.error_line, 2);
    assert_int_equal(r.left_threads, 1);
    assert_non_null(strstr(r.notice, "left 1 thread running"));
    assert_non_null(strstr(r.notice, "paused between steps"));
    lc_exec_result_free(&r);
    cJSON_Delete(ev);
}

/* Changes coming back over the copy transport push the step's deadline out,
 * but never past ten minutes from the first: a trickle cannot keep it alive. */
static void test_change_events_have_a_bound_in_all(void **state)
{
    (void)state;
    const int64_t t0 = 1000000;
    assert_int_equal(lc_sandbox_change_deadline(t0, t0, false), t0 + LC_CHANGE_IDLE_MS);
    assert_int_equal(lc_sandbox_change_deadline(t0 + 59000, t0, false), t0 + 59000 + LC_CHANGE_IDLE_MS);
    /* one event every 59 s keeps it going, until ten minutes from the first */
    int64_t at = t0, deadline = 0;
    for (int64_t next; (next = lc_sandbox_change_deadline(at, t0, false)) != 0; at += 59000)
        deadline = next;
    assert_true(at - t0 >= LC_CHANGE_MAX_MS);
    assert_true(deadline <= t0 + LC_CHANGE_MAX_MS + LC_CHANGE_IDLE_MS);
    assert_int_equal(lc_sandbox_change_deadline(t0 + LC_CHANGE_MAX_MS - 1, t0, false),
                     t0 + LC_CHANGE_MAX_MS - 1 + LC_CHANGE_IDLE_MS);
    assert_int_equal(lc_sandbox_change_deadline(t0 + LC_CHANGE_MAX_MS, t0, false), 0);
    assert_int_equal(lc_sandbox_change_deadline(t0, t0, true), 0); /* past the shadow cap: none */
}

/* A sandbox that ended by itself says what ended it: the step's own process
 * (a crash, os._exit, a kill) when the kernel said so, the engine's record
 * otherwise. The kernel's line is a hint for the words only. */
static void test_sandbox_death_says_what_ended_the_step(void **state)
{
    (void)state;
    assert_int_equal(lc_sandbox_worker_code("litecode kernel: the worker ended (exit 139)\n"), 139);
    assert_int_equal(lc_sandbox_worker_code("x\nlitecode kernel: the worker ended (exit 1)\n"
                                            "litecode kernel: the worker ended (exit 134)\n"),
                     134);
    assert_int_equal(lc_sandbox_worker_code("xlitecode kernel: the worker ended (exit 139)\n"), 0); /* mid-line */
    assert_int_equal(lc_sandbox_worker_code("litecode kernel: the worker ended (exit 99999)\n"), 0);
    assert_int_equal(lc_sandbox_worker_code("litecode kernel: the worker ended (exit 12"), 0); /* cut */
    assert_int_equal(lc_sandbox_worker_code(""), 0);
    lc_container_config cc;
    memset(&cc, 0, sizeof cc);
    cc.memory_bytes = 1 << 30;
    static const struct {
        int how, exit_code, worker;
        bool during;
        const char *type, *says;
    } cases[] = {
        {LC_END_EXITED, 139, 139, true, "StepProcessEnded",
         "during the step: the step's process ended on SIGSEGV (signal 11): a crash in native code"},
        {LC_END_EXITED, 134, 134, true, "StepProcessEnded", "ended on SIGABRT (signal 6): abort() in native code"},
        {LC_END_EXITED, 129, 129, true, "StepProcessEnded",
         "the step's process was killed (SIGKILL, not out of memory): by the step itself or from outside"},
        {LC_END_EXITED, 5, 5, false, NULL,
         "between steps: the step's process exited with code 5 instead of returning to the kernel (os._exit"},
        {LC_END_EXITED, 3, 3, true, "SandboxExited", "the kernel ended (exit 3)"},
        {LC_END_KILLED, 137, 0, true, "SandboxKilled",
         "killed from outside litecode, or by a process of the step (exit 137, not out of memory)"},
        /* the engine's record wins over the kernel's words */
        {LC_END_OOM, 137, 129, true, "OutOfMemory", "it ran out of memory (limit 1g)"},
        {LC_END_REMOVED, 0, 139, true, "SandboxKilled", "its container was removed from outside litecode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_exec_result r;
        memset(&r, 0, sizeof r);
        lc_sandbox_end end = {.how = cases[i].how, .exit_code = cases[i].exit_code, .worker_code = cases[i].worker};
        lc_sandbox_describe_death(&cc, end, false, LC_WHY_NONE, cases[i].during, &r);
        if (!strstr(r.notice, cases[i].says))
            fail_msg("case %zu: %s", i, r.notice);
        if (cases[i].type)
            assert_string_equal(r.error_type, cases[i].type);
        else
            assert_null(r.error_type);
        assert_true(r.state_lost);
        lc_exec_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shadow_copy_keeps_files_modes_and_symlinks),
        cmocka_unit_test(test_shadow_copy_skips_and_reports_special_files),
        cmocka_unit_test(test_shadow_copy_never_copies_into_itself),
        cmocka_unit_test(test_shadow_copy_errors_say_what_to_do),
        cmocka_unit_test(test_shadow_copy_never_fills_the_disk),
        cmocka_unit_test(test_session_dirs_are_unique_and_private),
        cmocka_unit_test(test_no_engine_names_what_to_install),
        cmocka_unit_test(test_engine_table_rows_drive_the_cli),
        cmocka_unit_test(test_podman_service_is_found_by_its_cli),
        cmocka_unit_test(test_copy_transport_refuses_more_than_copy_max),
        cmocka_unit_test(test_copy_max_counts_each_link_as_the_shadow_sends_it),
        cmocka_unit_test(test_shadow_make_borrows_git_objects),
        cmocka_unit_test(test_shadow_git_objects_lends_only_plain_readable_stores),
        cmocka_unit_test(test_image_build_passes_progress_and_fails_clearly),
        cmocka_unit_test(test_image_missing_on_a_remote_engine_is_loaded),
        cmocka_unit_test(test_check_missing_image_says_what_fits),
        cmocka_unit_test(test_engine_and_build_get_a_minimal_environment),
        cmocka_unit_test(test_dead_kernel_is_restarted_without_sigpipe),
        cmocka_unit_test(test_kernel_protocol_survives_hostile_steps),
        cmocka_unit_test(test_kernel_never_imports_from_the_project),
        cmocka_unit_test(test_kernel_splits_into_two_users),
        cmocka_unit_test(test_kernel_import_patterns),
        cmocka_unit_test(test_copy_transport_brings_changes_back),
        cmocka_unit_test(test_copy_transport_random_steps),
        cmocka_unit_test(test_copy_transport_sees_what_inotify_does_not),
        cmocka_unit_test(test_kernel_thread_left_by_a_step_cannot_forge_or_run_between_steps),
        cmocka_unit_test(test_kernel_output_volume_nul_and_skipped),
        cmocka_unit_test(test_kernel_check_survives_hostile_code),
        cmocka_unit_test(test_host_reads_kernel_lines_safely),
        cmocka_unit_test(test_sandbox_death_says_what_ended_the_step),
        cmocka_unit_test(test_change_events_have_a_bound_in_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
