using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker as a separate process, killed with SIGKILL at random moments while the feeds publish.
public sealed class IngestCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private KillBed? _bed;

    private KillBed Bed => _bed!;

    public async ValueTask InitializeAsync() => _bed = await KillBed.StartAsync("ingest_crash");

    public ValueTask DisposeAsync() => _bed?.DisposeAsync() ?? ValueTask.CompletedTask;

    [Fact]
    public async Task Worker_killed_at_random_moments_and_restarted_stores_every_message_exactly_once()
    {
        const int n = 20_000;
        const int kills = 4;
        var random = KillBed.SeededRandom(output);

        var worker = Bed.StartKillableWorker();
        try
        {
            await Bed.WaitForConsumerAsync();
            var publishing = TestPublisher.PublishAsync(Bed.Url, 0, n, ratePerSubject: 3000);

            var catalogue = Bed.Catalogue;
            for (var kill = 1; kill <= kills; kill++)
            {
                // Kill only once this incarnation is storing, at a random moment after that: mid-fetch, mid-transaction,
                // between commit and ack.
                var before = await catalogue.CountAsync("execution");
                await Eventually.Until(async () => await catalogue.CountAsync("execution") is var now && (now > before || now == n),
                    KillBed.Patience, $"worker incarnation {kill} stores something");
                var lifetime = TimeSpan.FromMilliseconds(random.Next(0, 800));
                await Task.Delay(lifetime);
                await worker.KillAsync();
                output.WriteLine($"kill {kill}: {lifetime.TotalMilliseconds} ms into storing, " +
                    $"{await catalogue.CountAsync("execution")} executions stored");
                await worker.DisposeAsync();
                worker = Bed.StartKillableWorker();
            }

            await publishing;
            await Bed.AssertEveryMessageStoredOnceAsync(n, $"{n} rows per table are stored after {kills} kills");

            await KillBed.AssertTerminatesCleanlyAsync(worker);
            Assert.True(worker.OutputContains("Ingest progress"), "the worker logs progress");
        }
        catch
        {
            output.WriteLine(worker.Output);
            throw;
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }
}
