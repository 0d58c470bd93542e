"""pytest plugin of the nbval step of ``make test`` (``-p tests.nbval_kernels``): kernels on Unix sockets.

jupyter_client gives a TCP kernel five ports it found free by binding and releasing them, and
the kernel binds them a moment later: two xdist workers starting kernels at once can be handed
the same port, and the kernel that loses exits before it answers (``RuntimeError: Kernel died
before replying to kernel_info``, then an error for every cell of its notebook; nbval sends the
kernel's stderr, where ``Address already in use`` would show, to /dev/null). Over IPC each
kernel's sockets are files in a folder of its own: there is nothing to race for.
"""
import tempfile

from jupyter_client.manager import KernelManager


class IpcKernelManager(KernelManager):
    """A kernel manager whose kernels listen on Unix sockets in a new temporary folder, not on TCP ports.

    The folder is given (``ip``): by default sockets are named ``kernel-ipc-N`` in the working folder, shared by
    every kernel started there.
    """

    def __init__(self, **kwargs):
        super().__init__(transport="ipc", ip=f"{tempfile.mkdtemp(prefix='nbval-kernel-')}/kernel", **kwargs)


def pytest_configure(config):
    import nbval.kernel

    nbval.kernel.KernelManager = IpcKernelManager
