using Google.Protobuf;
using StChat.Contracts;
using StChat.Ingest;
using Xunit;

namespace StChat.Feeds.Tests;

public sealed class FeedMessageGeneratorTests
{
    [Fact]
    public void Generated_messages_decode_into_catalogue_rows()
    {
        var generator = new FeedMessageGenerator(new Random(42), TimeProvider.System);
        var batch = new FeedBatch();
        for (ulong i = 1; i <= 500; i++)
        {
            FeedDecoder.Decode(FeedSubjects.SportEvent, generator.NextSportEvent().ToByteArray(), i * 2, DateTimeOffset.UtcNow, batch);
            FeedDecoder.Decode(FeedSubjects.Execution, generator.NextExecution().ToByteArray(), (i * 2) + 1, DateTimeOffset.UtcNow, batch);
        }

        Assert.Empty(batch.Rejects);
        Assert.Equal(7, batch.SportEvents.Select(r => r.Sport).Distinct().Count());
        Assert.All(batch.Executions, e =>
        {
            Assert.Contains(e.Market, new[] { "NASDAQ", "NYSE" });
            Assert.True(e.Price > 0);
            Assert.Equal(Math.Round(e.Price, 2), e.Price, 3);
            Assert.InRange(e.ExecutionEpoch, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        });
    }

    [Fact]
    public void Pacer_spreads_sends_over_time_instead_of_bursting()
    {
        var pacer = new Pacer(100);

        Assert.InRange(pacer.Due(), 1, 10);
    }
}
