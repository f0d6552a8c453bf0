using System.Globalization;

namespace StChat.Bench;

// CPU time of the processes on the ingest path, from /proc, so a run can say which of them used the cores.
internal static class ProcessCpu
{
    // USER_HZ: the unit of the times in /proc/<pid>/stat; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>User plus system time of one process, and of its children it has waited for when asked.</summary>
    public static TimeSpan Of(int pid, bool withReapedChildren = false)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return TimeSpan.Zero;
        }

        // Fields 14-17 of stat (utime, stime, cutime, cstime); after the command name they are at 11-14.
        var ticks = Field(fields, 11) + Field(fields, 12) + (withReapedChildren ? Field(fields, 13) + Field(fields, 14) : 0);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>
    /// A PostgreSQL cluster's CPU time: the postmaster with the backends that have exited, plus the live ones.
    /// </summary>
    public static TimeSpan OfPostgres(string dataDirectory)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var total = Of(postmaster, withReapedChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && pid != postmaster
                && StatFields(pid) is { } fields && Field(fields, 1) == postmaster)
            {
                total += Of(pid);
            }
        }

        return total;
    }

    // The fields after "(comm)", which may itself contain spaces; index 0 is the state, 1 the parent pid.
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long Field(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
}
