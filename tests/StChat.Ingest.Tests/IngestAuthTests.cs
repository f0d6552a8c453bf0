using NATS.Client.Core;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The worker against servers that require credentials or TLS, configured only through the Nats section.
public sealed class IngestAuthTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int N = 200;

    private readonly string _stream = "FEEDS_" + Guid.NewGuid().ToString("N")[..8];
    private string? _postgres;

    private string Postgres => _postgres!;

    private string Consumer => _stream + "-ingest";

    public async ValueTask InitializeAsync() =>
        _postgres = await (await PostgresCluster.SharedAsync()).CreateDatabaseAsync("ingest_auth");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Ingest_authenticates_with_the_user_and_password_of_the_Nats_section()
    {
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { User = "ingest", Password = "p@ss:word" });
        var withCredentials = $"nats://ingest:p%40ss%3Aword@127.0.0.1:{nats.Port}";

        await StoresEverythingAsync(nats.Url, withCredentials, null, new Dictionary<string, string?>
        {
            ["Nats:User"] = "ingest",
            ["Nats:Password"] = "p@ss:word",
        });
    }

    [Fact]
    public async Task Ingest_authenticates_with_the_token_of_the_Nats_section()
    {
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { Token = "t0ken-for-ingest" });

        await StoresEverythingAsync(nats.Url, $"nats://t0ken-for-ingest@127.0.0.1:{nats.Port}", null,
            new Dictionary<string, string?> { ["Nats:Token"] = "t0ken-for-ingest" });
    }

    [Fact]
    public async Task Ingest_connects_over_tls_trusting_the_ca_file_of_the_Nats_section()
    {
        using var certificate = NatsServerCertificate.Create();
        await using var nats = await NatsServer.StartAsync(certificate.ServerOptions());
        var tls = new NatsTlsOpts { CaFile = certificate.CertFile };

        await StoresEverythingAsync($"tls://127.0.0.1:{nats.Port}", $"tls://127.0.0.1:{nats.Port}", tls,
            new Dictionary<string, string?> { ["Nats:Tls:CaFile"] = certificate.CertFile, ["Nats:Tls:Mode"] = "Require" });
    }

    [Fact]
    public async Task Credentials_in_the_url_are_used_and_never_logged()
    {
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { User = "ingest", Password = "hunter2-secret" });
        var url = $"nats://ingest:hunter2-secret@127.0.0.1:{nats.Port}";

        var logs = await StoresEverythingAsync(url, url, null, new Dictionary<string, string?>());

        Assert.DoesNotContain("hunter2-secret", logs.ToString(), StringComparison.Ordinal);
        Assert.True(logs.Contains($"nats://127.0.0.1:{nats.Port}"), logs.ToString());
    }

    [Fact]
    public async Task Wrong_password_stops_the_server_process_with_an_error_naming_the_setting()
    {
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { User = "ingest", Password = "right" });
        await using var worker = IngestProcess.Start(Postgres, nats.Url, _stream, new Dictionary<string, string>
        {
            ["Nats__User"] = "ingest",
            ["Nats__Password"] = "wrong",
        });

        var exitCode = await worker.WaitForExitAsync(Patience);

        Assert.True(exitCode != 0, worker.Output);
        Assert.True(worker.OutputContains("refused the user and password in Nats:User and Nats:Password"), worker.Output);
        Assert.False(worker.OutputContains("wrong"), worker.Output);
    }

    [Fact]
    public async Task Missing_token_stops_the_server_process_with_an_error_naming_the_settings_to_set()
    {
        await using var nats = await NatsServer.StartAsync(new NatsServerOptions { Token = "needed" });
        await using var worker = IngestProcess.Start(Postgres, nats.Url, _stream);

        var exitCode = await worker.WaitForExitAsync(Patience);

        Assert.True(exitCode != 0, worker.Output);
        Assert.True(worker.OutputContains("Nats:Token"), worker.Output);
    }

    // Publishes N per subject with the test client and waits until the worker, configured with `settings`, stored them.
    private async Task<CapturedLogs> StoresEverythingAsync(
        string workerUrl, string clientUrl, NatsTlsOpts? tls, Dictionary<string, string?> settings)
    {
        settings["Nats:Url"] = workerUrl;
        await using var worker = IngestHost.Create(Postgres, "unused", _stream, settings);
        await worker.StartAsync();
        await Broker.WaitForConsumerAsync(clientUrl, _stream, Consumer, tls);

        await TestPublisher.PublishAsync(clientUrl, 0, N, tls: tls);

        var catalogue = new Catalogue(Postgres, _stream);
        await Eventually.Until(() => catalogue.HasAsync(N, N), Patience, $"{N} rows per table are stored");
        await Broker.WaitUntilAllAcknowledgedAsync(clientUrl, _stream, Consumer, tls);
        await catalogue.AssertExactlyAsync(N);
        return worker.Logs;
    }
}
