using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StChat.Chat;

namespace StChat.Chat.Tests.Infrastructure;

// The real Kestrel host with the chat endpoints, on a random loopback port, against the given database.
public sealed class ChatHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChatHost(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public IServiceProvider Services => _app.Services;

    // `natsUrl`: a chat node on the NATS bus (Chat:Bus=nats) rather than a single one.
    public static async Task<ChatHost> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? chat = null, string? natsUrl = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString };
        foreach (var (key, value) in LiftedLimits.Chat)
        {
            settings[$"Chat:{key}"] = value;
        }

        if (natsUrl is not null)
        {
            settings["Chat:Bus"] = "nats";
            settings["Nats:Url"] = natsUrl;
        }

        foreach (var (key, value) in chat ?? new Dictionary<string, string?>())
        {
            settings[$"Chat:{key}"] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddStChatChat(builder.Configuration);

        var app = builder.Build();
        app.MapStChatChat();
        await app.StartAsync();
        var http = new Uri(app.Urls.First());
        return new ChatHost(app, new Uri($"ws://127.0.0.1:{http.Port}/"));
    }

    public Uri Room(string room, string query = "") =>
        new(BaseUri, $"rooms/{room}{(query.Length == 0 ? "" : "?" + query)}");

    public Uri HttpUri => new($"http://127.0.0.1:{BaseUri.Port}/");

    public Task<ChatClient> ConnectAsync(string room, string query = "") => ChatClient.ConnectAsync(Room(room, query));

    // A WebSocket to `path` (e.g. "ws", "dm/bob") signed in with `token`.
    public Task<ChatClient> ConnectAsync(string path, string? token, string query) =>
        ChatClient.ConnectAsync(new Uri(BaseUri, path + (query.Length == 0 ? "" : "?" + query)), token);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
