"""A TCP proxy a test freezes: as a network partition or a frozen server, the connections
stay open (the kernel still acknowledges what is sent) but nothing is answered."""

from __future__ import annotations

import contextlib
import socket
import threading


class FreezableProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port` until `freeze()`; `thaw()`
    forwards again, what was held included."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True, name="test-proxy").start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        """Stop: connections open are closed, new ones refused (a listener merely closed
        while its thread waits in `accept` still accepts)."""
        with contextlib.suppress(OSError):  # not listening on some systems: closed anyway
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._flowing.set()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(("127.0.0.1", self._target_port))
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):  # the other pump shut it already
                    sock.shutdown(socket.SHUT_RDWR)
