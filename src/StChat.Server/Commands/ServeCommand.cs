using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Chat;
using StChat.Ingest;
using StChat.Storage;

namespace StChat.Server.Commands;

// Ingest and chat in one process, sharing the PostgreSQL data source and the start-up migration: what `./stchat up`
// runs. Deployments that scale them apart use `ingest` and `chat`.
internal static class ServeCommand
{
    // Long enough for the ingest batch in flight to commit and be acknowledged, and for chat exits to be stored.
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args).ConfigureStChat(args);
        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = builder.Configuration[$"{ChatOptions.SectionName}:Url"] ?? ChatOptions.DefaultUrl;
        }

        builder.WebHost.UseUrls(urls);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        WebApplication app;
        try
        {
            // Storage first: its migration service is the first hosted service, so the schema exists before the
            // ingest worker and the chat log writer start.
            builder.Services.AddStChatStorage(builder.Configuration);
            builder.Services.AddStChatIngest(builder.Configuration);
            builder.Services.AddStChatChat(builder.Configuration);
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"serve: {e.Message}");
            return 1;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Serve");
        app.MapStChatChat();
        app.MapStChatWeb();
        var workers = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToArray();
        try
        {
            await app.StartAsync();
            logger.LogInformation("Chat and ingest are running; chat page and WebSocket on {Urls}", string.Join(", ", app.Urls));
            await app.WaitForShutdownAsync();
        }
        catch (OptionsValidationException e)
        {
            logger.LogError("Invalid configuration: {Errors}", string.Join(" ", e.Failures));
            return 1;
        }
        catch (IOException e)
        {
            logger.LogError("Cannot listen on {Urls}: {Error}", urls, e.Message);
            return 1;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger.LogError("Could not start: {Error}", e.Message);
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
        }

        // A worker that failed (JetStream refused the stream settings, say) stops the host; the exit code says so.
        return workers.Any(w => w.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }
}
