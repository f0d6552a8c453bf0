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
        var error = Assert.Single(Errors(new IngestOptions
        {
            AckWait = TimeSpan.FromSeconds(5), FetchExpires = TimeSpan.FromSeconds(5), RetryMaxDelay = TimeSpan.FromSeconds(1),
        }));

        Assert.Contains("Ingest:AckWait", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_max_delay_of_half_the_ack_wait_or_more_is_refused_with_both_fixes_named()
    {
        var error = Assert.Single(Errors(new IngestOptions { AckWait = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromSeconds(15) }));

        Assert.Contains("Ingest:RetryMaxDelay (00:00:15) must be less than half of Ingest:AckWait (00:00:30)", error, StringComparison.Ordinal);
        Assert.Contains("Lower Ingest:RetryMaxDelay below 00:00:15 or raise Ingest:AckWait above 00:00:30", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_max_delay_just_under_half_the_ack_wait_is_accepted() =>
        Assert.Empty(Errors(new IngestOptions { AckWait = TimeSpan.FromSeconds(5), RetryMaxDelay = TimeSpan.FromSeconds(2), RetryMinDelay = TimeSpan.FromSeconds(1) }));

    [Fact]
    public void A_fetch_expiring_in_under_a_second_is_refused_because_the_client_would_refuse_it() =>
        Assert.Contains("Ingest:FetchExpires", Assert.Single(Errors(new IngestOptions { FetchExpires = TimeSpan.FromMilliseconds(500) })),
            StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Replicas_outside_one_to_five_are_refused_with_the_range_named(int replicas)
    {
        var error = Assert.Single(Errors(new IngestOptions { Replicas = replicas }));

        Assert.StartsWith($"Ingest:Replicas is {replicas}; set it between 1 and 5", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Replicas_from_one_to_five_are_accepted_and_reach_the_stream_config(int replicas)
    {
        var options = new IngestOptions { Replicas = replicas };

        Assert.Empty(Errors(options));
        Assert.Equal(replicas, FeedConsumer.StreamConfigFor(options).NumReplicas);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        Assert.Equal(3, Errors(new IngestOptions { Consumer = "", BatchSize = 0, MaxBytes = 0 }).Count);
    }
}
