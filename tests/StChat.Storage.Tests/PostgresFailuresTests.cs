using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace StChat.Storage.Tests;

public sealed class PostgresFailuresTests
{
    private static PostgresException Error(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    private static readonly PostgresRetryableCases RacingWriter = new()
    {
        SqlStates = new HashSet<string>(StringComparer.Ordinal) { "23505" },
        SqlStateClasses = new HashSet<string>(StringComparer.Ordinal) { "08" },
    };

    [Theory]
    [InlineData("57P01")]   // admin shutdown
    [InlineData("57P02")]   // crash shutdown
    [InlineData("57P03")]   // cannot connect now
    [InlineData("53300")]   // too many connections
    [InlineData("40001")]   // serialization failure, transient for Npgsql itself
    [InlineData("53100")]   // disk full, transient for Npgsql itself
    public void A_server_that_will_be_back_is_transient(string sqlState) =>
        Assert.True(PostgresFailures.IsTransient(Error(sqlState)));

    [Theory]
    [InlineData("42P01")]   // undefined table
    [InlineData("23505")]   // unique violation
    [InlineData("22001")]   // string too long
    [InlineData("08P01")]   // protocol violation
    public void An_error_that_repeats_on_every_attempt_is_not_transient(string sqlState) =>
        Assert.False(PostgresFailures.IsTransient(Error(sqlState)));

    [Fact]
    public void Broken_sockets_and_timeouts_are_transient()
    {
        Assert.True(PostgresFailures.IsTransient(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.True(PostgresFailures.IsTransient(new TimeoutException()));
        Assert.True(PostgresFailures.IsTransient(new NpgsqlException("read failed", new IOException("reset"))));
    }

    [Fact]
    public void Client_errors_without_a_transient_cause_and_cancellation_are_not_transient_by_default()
    {
        Assert.False(PostgresFailures.IsTransient(new NpgsqlException("unexpected message")));
        Assert.False(PostgresFailures.IsTransient(new OperationCanceledException()));
        Assert.False(PostgresFailures.IsTransient(new InvalidOperationException()));
    }

    [Theory]
    [InlineData("23505")]
    [InlineData("08P01")]
    [InlineData("08006")]
    public void A_callers_extra_states_and_classes_are_transient_for_that_caller(string sqlState) =>
        Assert.True(PostgresFailures.IsTransient(Error(sqlState), RacingWriter));

    [Theory]
    [InlineData("23503")]   // foreign key violation: same class as 23505, not listed
    [InlineData("42P01")]
    public void States_a_caller_did_not_list_stay_permanent(string sqlState) =>
        Assert.False(PostgresFailures.IsTransient(Error(sqlState), RacingWriter));

    [Fact]
    public void Extra_cases_keep_every_default_transient_case()
    {
        Assert.True(PostgresFailures.IsTransient(Error("57P01"), RacingWriter));
        Assert.True(PostgresFailures.IsTransient(new TimeoutException(), RacingWriter));
    }

    [Fact]
    public void Client_errors_and_cancellation_are_transient_only_when_asked_for()
    {
        var cases = new PostgresRetryableCases { ClientErrors = true, Cancellation = true };

        Assert.True(PostgresFailures.IsTransient(new NpgsqlException("unexpected message"), cases));
        Assert.True(PostgresFailures.IsTransient(new TaskCanceledException(), cases));
        Assert.False(PostgresFailures.IsTransient(new NpgsqlException("unexpected message"), RacingWriter));
        Assert.False(PostgresFailures.IsTransient(new OperationCanceledException(), RacingWriter));
        Assert.False(PostgresFailures.IsTransient(new InvalidOperationException(), cases));
    }
}
