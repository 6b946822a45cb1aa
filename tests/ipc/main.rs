// IPC tests
