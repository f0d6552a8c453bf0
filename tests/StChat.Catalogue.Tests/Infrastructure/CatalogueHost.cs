using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StChat.Ingest;

namespace StChat.Catalogue.Tests.Infrastructure;

// The real Kestrel host with the catalogue endpoints on a random loopback port, against the given database and
// nats-server; with `ingest`, the real ingest worker runs in it too, as in `serve`.
public sealed class CatalogueHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CatalogueHost(WebApplication app, int port)
    {
        _app = app;
        HttpUri = new Uri($"http://127.0.0.1:{port}/");
        SocketUri = new Uri($"ws://127.0.0.1:{port}/feeds/ws");
    }

    public Uri HttpUri { get; }

    public Uri SocketUri { get; }

    public static async Task<CatalogueHost> StartAsync(
        string postgres, string natsUrl, string stream, bool ingest, TimeSpan? pollInterval = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres,
            ["Nats:Url"] = natsUrl,
            ["Ingest:Stream"] = stream,
            ["Ingest:Consumer"] = "ingest-" + stream.ToLowerInvariant(),
            ["Ingest:BatchSize"] = "50",
            ["Catalogue:PollInterval"] = (pollInterval ?? TimeSpan.FromMilliseconds(200)).ToString(),
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (ingest)
        {
            builder.Services.AddStChatIngest(builder.Configuration);
        }

        builder.Services.AddStChatCatalogue(builder.Configuration);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapStChatCatalogue();
        await app.StartAsync();
        return new CatalogueHost(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
