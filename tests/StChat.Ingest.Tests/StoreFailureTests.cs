using Npgsql;
using StChat.Storage;
using Xunit;

namespace StChat.Ingest.Tests;

public sealed class StoreFailureTests
{
    private static PostgresException Error(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("22001")]
    [InlineData("22P05")]
    [InlineData("23514")]
    [InlineData("23502")]
    public void Data_exceptions_and_constraint_violations_are_data_errors(string sqlState) =>
        Assert.True(PostgresErrors.IsDataError(Error(sqlState)));

    [Theory]
    [InlineData("42P01")]
    [InlineData("42501")]
    [InlineData("28P01")]
    [InlineData("57P01")]
    public void Schema_permission_and_server_errors_are_not_data_errors(string sqlState) =>
        Assert.False(PostgresErrors.IsDataError(Error(sqlState)));

    [Theory]
    [InlineData("42P01", "./stchat migrate")]
    [InlineData("42703", "./stchat migrate")]
    [InlineData("42501", "GRANT SELECT, INSERT ON sport_event, execution, feed_rejects, feed_streams")]
    [InlineData("28P01", "ConnectionStrings:Postgres")]
    [InlineData("3D000", "createdb")]
    public void Errors_only_an_operator_can_fix_name_the_fix(string sqlState, string fix) =>
        Assert.Contains(fix, PostgresErrors.Remedy(Error(sqlState)), StringComparison.Ordinal);

    [Fact]
    public void A_server_shutting_down_is_transient() => Assert.True(PostgresFailures.IsTransient(Error("57P01")));

    [Fact]
    public void A_missing_table_is_not_transient() => Assert.False(PostgresFailures.IsTransient(Error("42P01")));

    [Fact]
    public void A_repeated_failure_is_reported_once_per_interval_and_a_new_one_at_once()
    {
        var gate = new RepeatedFailureGate(TimeSpan.FromHours(1));

        Assert.True(gate.ShouldReport("42P01 relation does not exist", out var suppressed));
        Assert.Equal(0, suppressed);
        Assert.False(gate.ShouldReport("42P01 relation does not exist", out _));
        Assert.False(gate.ShouldReport("42P01 relation does not exist", out _));
        Assert.True(gate.ShouldReport("42501 permission denied", out suppressed));
        Assert.Equal(2, suppressed);
    }

    [Fact]
    public void The_same_failure_is_reported_again_once_the_interval_has_passed()
    {
        var gate = new RepeatedFailureGate(TimeSpan.Zero);

        Assert.True(gate.ShouldReport("57P03 starting up", out _));
        Assert.True(gate.ShouldReport("57P03 starting up", out _));
    }

    [Fact]
    public void The_same_failure_is_reported_at_once_after_a_reset()
    {
        var gate = new RepeatedFailureGate(TimeSpan.FromHours(1));

        Assert.True(gate.ShouldReport("08006 connection refused", out _));
        Assert.False(gate.ShouldReport("08006 connection refused", out _));
        gate.Reset();
        Assert.True(gate.ShouldReport("08006 connection refused", out var suppressed));
        Assert.Equal(0, suppressed);
    }
}
