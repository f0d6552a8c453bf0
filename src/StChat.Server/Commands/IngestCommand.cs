using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Ingest;
using StChat.Server.Operations;

namespace StChat.Server.Commands;

// The worker, with a small HTTP listener on Ingest:Url for /healthz, /readyz and /metrics.
internal static class IngestCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args).ConfigureStChat(args);
        var urls = builder.Configuration[$"{IngestOptions.SectionName}:Url"] ?? IngestOptions.DefaultUrl;
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = HostRunner.ShutdownTimeout);
        WebApplication app;
        try
        {
            builder.Services.AddStChatIngest(builder.Configuration);
            StartupSequence.TakeOver(builder.Services);
            builder.WebHost.UseUrls(OperationsServiceCollectionExtensions.WithMetricsAddress(builder.Configuration, urls));
            builder.AddStChatOperations();
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"ingest: {e.Message}");
            return 1;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Ingest");
        app.MapStChatOperations();

        // SIGINT and SIGTERM stop the host; the worker finishes or gives back its batch and the exit code is 0.
        try
        {
            return await HostRunner.RunAsync(app, logger,
                () => logger.LogInformation("ingest serves /healthz, /readyz and /metrics on {Urls}", string.Join(", ", app.Urls)), urls);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
