using System.Diagnostics;

namespace StChat.Testing;

public static class Eventually
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(200);

    // Polls instead of sleeping a fixed time: fast when the condition is quickly true, patient on a loaded machine.
    // An exception from the condition counts as "not yet"; the last one is attached to the timeout for diagnosis.
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                last = ex;
            }

            if (clock.Elapsed >= timeout)
            {
                var detail = last is null ? "" : $" Last error: {last.GetType().Name}: {last.Message}";
                throw new TimeoutException($"{because} (still not true after {timeout.TotalSeconds:0.##} s).{detail}", last);
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }
}
