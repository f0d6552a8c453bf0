using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Testing;

namespace StChat.Ingest.Tests;

// The ingest worker in the test process, configured the way `stchat ingest` is, with its log captured.
internal sealed class IngestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _started;

    private IngestHost(IHost host, CapturedLogs logs)
    {
        _host = host;
        Logs = logs;
    }

    public CapturedLogs Logs { get; }

    public static IngestHost Create(
        string postgres, string natsUrl, string stream, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres,
            ["Nats:Url"] = natsUrl,
            ["Ingest:Stream"] = stream,
            ["Ingest:Consumer"] = stream + "-ingest",
            ["Ingest:ProgressInterval"] = "00:00:01",
            ["Ingest:RetryMaxDelay"] = "00:00:01",
            ["Ingest:FetchExpires"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        var logs = new CapturedLogs();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddStChatIngest(builder.Configuration);
        return new IngestHost(builder.Build(), logs);
    }

    public async Task StartAsync()
    {
        await _host.StartAsync();
        _started = true;
    }

    public async Task StopAsync()
    {
        if (_started)
        {
            _started = false;
            await _host.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }
}
