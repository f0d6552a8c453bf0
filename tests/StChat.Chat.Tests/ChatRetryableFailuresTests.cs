using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatRetryableFailuresTests
{
    private static PostgresException Error(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("40001")]   // serialization failure
    [InlineData("40P01")]   // deadlock
    [InlineData("23505")]   // a concurrent writer stored the same client id first
    [InlineData("08006")]   // connection failure
    [InlineData("08P01")]   // protocol violation: every connection exception
    [InlineData("57P01")]   // admin shutdown
    [InlineData("57P03")]   // starting up
    [InlineData("53300")]   // too many connections
    [InlineData("53100")]   // disk full: transient for Npgsql, so for ingest and chat alike
    public void Chat_retries_the_states_another_attempt_can_get_past(string sqlState) =>
        Assert.True(ChatRetryableFailures.IsRetryable(Error(sqlState)));

    [Theory]
    [InlineData("22001")]   // text too long
    [InlineData("22P05")]   // text PostgreSQL cannot hold
    [InlineData("23502")]   // not-null violation
    [InlineData("42P01")]   // a bug in the SQL
    public void Chat_does_not_retry_what_fails_the_same_way_every_time(string sqlState) =>
        Assert.False(ChatRetryableFailures.IsRetryable(Error(sqlState)));

    [Fact]
    public void Chat_retries_client_errors_timeouts_cancelled_attempts_and_sockets()
    {
        Assert.True(ChatRetryableFailures.IsRetryable(new NpgsqlException("unexpected message")));
        Assert.True(ChatRetryableFailures.IsRetryable(new OperationCanceledException()));
        Assert.True(ChatRetryableFailures.IsRetryable(new TimeoutException()));
        Assert.True(ChatRetryableFailures.IsRetryable(new SocketException((int)SocketError.ConnectionReset)));
        Assert.False(ChatRetryableFailures.IsRetryable(new InvalidDataException()));
    }
}
