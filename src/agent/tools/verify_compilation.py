def verify_compilation(path: str = '.') -> str:
    import shutil
    bad, n = [], 0
    cc = shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    for f in _files(path):
        ext = _os.path.splitext(f)[1]
        if ext == '.py':
            n += 1
            try:
                with open(f, 'rb') as h:
                    compile(h.read(), _rel(f), 'exec')
            except (SyntaxError, ValueError) as e:
                bad.append('%s: %s' % (_rel(f), e))
        elif ext in ('.c', '.cc', '.cpp') and cc:
            n += 1
            r = _run([cc, '-fsyntax-only', '-I', _os.path.dirname(f), f], 60)
            if not r.startswith('exit 0'):
                bad.append('%s: %s' % (_rel(f), r))
    if bad:
        return 'FAILED (%d of %d files)\n' % (len(bad), n) + _headtail('\n'.join(bad))
    return 'OK (%d files checked)' % n
