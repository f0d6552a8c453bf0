using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using StChat.Testing;
using Xunit;

namespace StChat.Messaging.Tests;

// AddStChatNats in a real host against a real nats-server.
public sealed class NatsRegistrationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static (IHost Host, CapturedLogs Logs) Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new CapturedLogs();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddStChatNats();
        return (builder.Build(), logs);
    }

    [Fact]
    public async Task An_invalid_section_stops_the_start_with_the_setting_named()
    {
        var (host, _) = Build(new() { ["Nats:Url"] = "http://127.0.0.1:4222" });
        using (host)
        {
            var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

            Assert.Contains("Nats:Url contains 'http://127.0.0.1:4222'", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_refused_password_stops_the_start_with_the_settings_named()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { User = "alice", Password = "right" });
        var (host, _) = Build(new() { ["Nats:Url"] = server.Url, ["Nats:User"] = "alice", ["Nats:Password"] = "wrong" });
        using (host)
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

            Assert.Contains("refused the user and password in Nats:User and Nats:Password", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_untrusted_server_certificate_stops_the_start_pointing_at_the_tls_settings()
    {
        using var certificate = NatsServerCertificate.Create();
        await using var server = await NatsServer.StartAsync(certificate.ServerOptions(new NatsServerOptions { JetStream = false }));
        var (host, _) = Build(new() { ["Nats:Url"] = server.Url });
        using (host)
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

            Assert.Contains("Nats:Tls:CaFile", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_that_is_not_up_yet_is_connected_to_once_it_starts()
    {
        await using var server = await NatsServer.StartAsync();
        await server.StopAsync();
        var (host, logs) = Build(new()
        {
            ["Nats:Url"] = server.Url, ["Nats:ReconnectWait"] = "00:00:00.200", ["Nats:ReconnectWaitMax"] = "00:00:01",
        });
        using (host)
        {
            await host.StartAsync();
            var connection = host.Services.GetRequiredService<NatsConnection>();
            Assert.True(logs.Contains("is not reachable yet"), logs.ToString());
            Assert.NotEqual(NatsConnectionState.Open, connection.ConnectionState);

            await server.RestartAsync();

            await Eventually.Until(() => Task.FromResult(connection.ConnectionState == NatsConnectionState.Open), Patience,
                "the connection opens without anyone using it");
            await Eventually.Until(() => Task.FromResult(logs.Contains("NATS connection open")), Patience, "the open is logged");
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_server_that_comes_up_later_and_refuses_the_password_is_logged_as_an_error_naming_the_settings()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { User = "alice", Password = "right" });
        await server.StopAsync();
        var (host, logs) = Build(new()
        {
            ["Nats:Url"] = server.Url, ["Nats:User"] = "alice", ["Nats:Password"] = "wr0ng-pa55",
            ["Nats:ReconnectWait"] = "00:00:00.200", ["Nats:ReconnectWaitMax"] = "00:00:01",
        });
        using (host)
        {
            await host.StartAsync();
            await server.RestartAsync();

            await Eventually.Until(
                () => Task.FromResult(logs.Contains("refused the user and password in Nats:User and Nats:Password")),
                Patience, "the refusal is logged");
            Assert.DoesNotContain("wr0ng-pa55", logs.ToString(), StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Stopping_while_the_server_is_still_away_ends_the_retrying()
    {
        var (host, logs) = Build(new() { ["Nats:Url"] = $"nats://127.0.0.1:{TestPorts.GetFreeTcpPort()}" });
        using (host)
        {
            await host.StartAsync();
            Assert.True(logs.Contains("is not reachable yet"), logs.ToString());

            await host.StopAsync().WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task Losing_and_regaining_the_server_is_logged_once_each_with_the_password_redacted()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { User = "alice", Password = "s3cret-pw" });
        var (host, logs) = Build(new() { ["Nats:Url"] = $"nats://alice:s3cret-pw@127.0.0.1:{server.Port}" });
        using (host)
        {
            await host.StartAsync();
            var connection = host.Services.GetRequiredService<NatsConnection>();
            Assert.Equal(NatsConnectionState.Open, connection.ConnectionState);

            await server.StopAsync();
            await Eventually.Until(() => Task.FromResult(logs.Contains("NATS connection lost")), Patience, "the loss is logged");
            await server.RestartAsync();
            await Eventually.Until(() => Task.FromResult(Count(logs, "NATS connection open") == 2), Patience, "the return is logged");
            await connection.PingAsync();

            Assert.Equal(1, Count(logs, "NATS connection lost"));
            Assert.Contains($"alice:***@127.0.0.1:{server.Port}", logs.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret-pw", logs.ToString(), StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    private static int Count(CapturedLogs logs, string text) =>
        logs.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));
}
