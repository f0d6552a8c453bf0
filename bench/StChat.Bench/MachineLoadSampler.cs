using System.Globalization;

namespace StChat.Bench;

// Samples the whole machine once a second while a section runs: load average, runnable tasks and CPU busy time from
// /proc. Other people's processes share these cores, and the report must say how loaded the machine was.
internal sealed class MachineLoadSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly string _before = File.ReadAllText("/proc/loadavg").Trim();
    private readonly List<(double Load, int Runnable)> _samples = [];
    private readonly (long Busy, long Total) _cpuBefore = CpuTicks();
    private readonly Task _loop;

    public MachineLoadSampler() => _loop = SampleAsync(_stop.Token);

    public async Task<MachineLoad> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        var (busy, total) = CpuTicks();
        var busyPercent = 100.0 * (busy - _cpuBefore.Busy) / Math.Max(1, total - _cpuBefore.Total);
        return _samples.Count == 0
            ? new MachineLoad(_before, double.NaN, double.NaN, busyPercent, double.NaN, 0)
            : new MachineLoad(_before, _samples.Average(s => s.Load), _samples.Max(s => s.Load), busyPercent,
                _samples.Average(s => s.Runnable), _samples.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _loop;
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var fields = (await File.ReadAllTextAsync("/proc/loadavg", CancellationToken.None)).Split(' ');
            var runnable = int.Parse(fields[3].Split('/')[0], CultureInfo.InvariantCulture);
            _samples.Add((double.Parse(fields[0], CultureInfo.InvariantCulture), runnable));
            await Task.Delay(1000, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    // The first line of /proc/stat: user nice system idle iowait irq softirq steal ..., in clock ticks.
    private static (long Busy, long Total) CpuTicks()
    {
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var idle = ticks[3] + ticks[4];
        var total = ticks.Sum();
        return (total - idle, total);
    }
}
