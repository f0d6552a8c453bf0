using Xunit;

namespace StChat.Ingest.Tests;

public sealed class IngestOptionsValidatorTests
{
    private static IReadOnlyList<string> Errors(IngestOptions options) =>
        new IngestOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Defaults_are_valid() => Assert.Empty(Errors(new IngestOptions()));

    [Fact]
    public void Stream_name_with_a_dot_is_refused_with_the_setting_named()
    {
        var error = Assert.Single(Errors(new IngestOptions { Stream = "FEEDS.v2" }));

        Assert.Contains("Ingest:Stream", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_ack_pending_below_one_batch_is_refused()
    {
        var error = Assert.Single(Errors(new IngestOptions { BatchSize = 1000, MaxAckPending = 100 }));

        Assert.Contains("Ingest:MaxAckPending", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ack_wait_not_longer_than_the_fetch_is_refused()
    {
        var error = Assert.Single(Errors(new IngestOptions { AckWait = TimeSpan.FromSeconds(5), FetchExpires = TimeSpan.FromSeconds(5) }));

        Assert.Contains("Ingest:AckWait", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        Assert.Equal(3, Errors(new IngestOptions { Consumer = "", BatchSize = 0, MaxBytes = 0 }).Count);
    }
}
