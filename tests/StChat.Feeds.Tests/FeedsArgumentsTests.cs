using StChat.Feeds;
using Xunit;

namespace StChat.Feeds.Tests;

public sealed class FeedsArgumentsTests
{
    [Fact]
    public void No_flags_leave_the_rate_to_configuration_and_run_forever()
    {
        Assert.True(FeedsArguments.TryParse([], out var parsed, out _));

        Assert.Equal((null, null, false), (parsed.Rate, parsed.Count, parsed.UseMsgId));
    }

    [Fact]
    public void Flags_parse_in_both_spellings_and_configuration_arguments_pass_through()
    {
        Assert.True(FeedsArguments.TryParse(["--rate", "250.5", "--count=1000", "--msg-id", "--Nats:Url=nats://h:4222"], out var parsed, out var error), error);

        Assert.Equal(250.5, parsed.Rate);
        Assert.Equal(1000, parsed.Count);
        Assert.True(parsed.UseMsgId);
        Assert.Equal(["--Nats:Url=nats://h:4222"], parsed.ConfigurationArgs);
    }

    [Theory]
    [InlineData("--rate")]
    [InlineData("--rate", "fast")]
    [InlineData("--rate", "-1")]
    [InlineData("--count", "0")]
    [InlineData("--count", "1.5")]
    [InlineData("--bogus")]
    [InlineData("--msg-id=yes")]
    public void Bad_flags_are_refused_with_a_message(params string[] args)
    {
        Assert.False(FeedsArguments.TryParse(args, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
