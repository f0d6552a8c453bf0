using System.Runtime.InteropServices;

namespace StChat.Testing;

internal static partial class NativeMethods
{
    public const int SigTerm = 15;

    // Linux numbers: pausing a local PostgreSQL stops and continues its processes.
    public const int SigCont = 18;
    public const int SigStop = 19;

    // Process has Kill (SIGKILL) but no way to ask politely; a graceful stop needs kill(2) with SIGTERM.
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    // initdb and postgres refuse to run as root, so the fixtures need to know who they are.
    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();
}
