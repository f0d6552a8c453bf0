using Microsoft.Extensions.Logging;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

public sealed class IngestProgressTests
{
    [Fact]
    public void Due_progress_line_reports_the_rate_and_every_total()
    {
        using var logs = new CapturedLogs();
        var progress = new IngestProgress(logs.CreateLogger("progress"), TimeSpan.Zero, "ingest-2/4711");

        // 10 messages: 8 decoded rows of which 7 were new, 2 rejects of which 1 was new, 2 redeliveries.
        progress.Record(messages: 10, redelivered: 2, new CatalogueStoreResult(3, 4, 1), decodedRows: 8, rejectRows: 2);
        progress.LogIfDue();

        var line = Assert.Single(logs.Lines);
        Assert.Matches(@"Ingest progress of worker ingest-2/4711: \d+(\.\d)? msgs/s", line);
        Assert.Contains("10 consumed, 7 stored, 1 rejected, 2 redelivered, 2 already stored", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_is_logged_once_per_interval_not_per_batch()
    {
        using var logs = new CapturedLogs();
        var progress = new IngestProgress(logs.CreateLogger("progress"), TimeSpan.FromHours(1), "ingest-2/4711");

        for (var i = 0; i < 5; i++)
        {
            progress.Record(messages: 1, redelivered: 0, new CatalogueStoreResult(1, 0, 0), decodedRows: 1, rejectRows: 0);
            progress.LogIfDue();
        }

        Assert.Empty(logs.Lines);
        Assert.Equal(5, progress.Stored);
    }
}
