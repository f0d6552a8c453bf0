using StChat.Testing;
using Xunit;

namespace StChat.Testing.Tests;

public sealed class EventuallyTests
{
    [Fact]
    public async Task Returns_once_the_condition_holds()
    {
        var calls = 0;

        await Eventually.Until(() => Task.FromResult(++calls >= 3), TimeSpan.FromSeconds(5), "it should count to three");

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Times_out_with_the_reason_and_the_last_error()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.Until(
            () => throw new InvalidOperationException("not yet"), TimeSpan.FromMilliseconds(100), "the sky should fall"));

        Assert.Contains("the sky should fall", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void Free_ports_are_distinct_and_in_range()
    {
        var port = TestPorts.GetFreeTcpPort();

        Assert.InRange(port, 1024, 65535);
    }
}
