using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Chat;

namespace StChat.Server.Commands;

// The lifecycle shared by the commands that host the chat server (`chat`, and `serve` with ingest beside it): bind to
// Chat:Url (or --urls), register the features, serve the WebSocket endpoint and the page, and turn start-up failures
// into a logged reason and exit code 1. SIGTERM and Ctrl-C stop the host gracefully and exit 0.
internal static class WebHostCommand
{
    // Long enough for an ingest batch in flight to commit and be acknowledged, and for chat exit events to be stored.
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(
        string command, string[] args, Action<IServiceCollection, IConfiguration> addFeatures)
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
            addFeatures(builder.Services, builder.Configuration);
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"{command}: {e.Message}");
            return 1;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger($"StChat.{command}");
        app.MapStChatChat();
        app.MapStChatWeb();
        var workers = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToArray();
        try
        {
            await app.StartAsync();
            logger.LogInformation("{Command} is listening on {Urls}", command, string.Join(", ", app.Urls));
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
