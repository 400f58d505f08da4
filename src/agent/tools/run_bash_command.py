def run_bash_command(command: str, timeout: int = 60) -> str:
    return _run(['bash', '-c', command], timeout)
