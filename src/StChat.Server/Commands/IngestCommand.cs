using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StChat.Ingest;

namespace StChat.Server.Commands;

internal static class IngestCommand
{
    // Long enough for the in-flight batch to commit and be acknowledged; past it the batch is abandoned and redelivered.
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args }).ConfigureStChat(args);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        try
        {
            builder.Services.AddStChatIngest(builder.Configuration);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"ingest: {e.Message}");
            return 1;
        }

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Ingest");
        var workers = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToArray();
        try
        {
            // SIGINT and SIGTERM stop the host; the worker finishes or gives back its batch and the exit code is 0.
            await host.RunAsync();
        }
        catch (OptionsValidationException e)
        {
            logger.LogError("Invalid Ingest configuration: {Errors}", string.Join(" ", e.Failures));
            return 1;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger.LogError("Ingest could not start: {Error}", e.Message);
            return 1;
        }

        // A worker that failed (for example, JetStream refused the stream settings) stops the host; say so in the exit code.
        return workers.Any(w => w.ExecuteTask is { IsFaulted: true }) ? 1 : 0;
    }
}
