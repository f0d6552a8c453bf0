using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StChat.Catalogue;
using StChat.Chat;
using StChat.Server.Operations;
using StChat.Server.Tls;

namespace StChat.Server.Commands;

// The lifecycle shared by the commands that host the chat server (`chat`, and `serve` with ingest beside it): bind to
// Chat:Url (or --urls), register the features, serve the WebSocket endpoint and the page, and turn start-up failures
// into a logged reason and exit code 1 (HostRunner). SIGTERM and Ctrl-C stop the host gracefully and exit 0.
internal static class WebHostCommand
{
    public static async Task<int> RunAsync(
        string command, string[] args, Action<IServiceCollection, IConfiguration> addFeatures)
    {
        var builder = WebApplication.CreateSlimBuilder(args).ConfigureStChat(args);
        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = builder.Configuration[$"{ChatOptions.SectionName}:Url"] ?? ChatOptions.DefaultUrl;
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = HostRunner.ShutdownTimeout);

        WebApplication app;
        try
        {
            var addresses = OperationsServiceCollectionExtensions.WithMetricsAddress(builder.Configuration, urls);
            if (!builder.AddStChatTls(addresses))
            {
                builder.WebHost.UseUrls(addresses);
            }

            addFeatures(builder.Services, builder.Configuration);
            StartupSequence.TakeOver(builder.Services);
            builder.AddStChatOperations();
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"{command}: {e.Message}");
            return 1;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger($"StChat.{command}");
        app.MapStChatOperations();
        app.MapStChatChat();
        app.MapStChatCatalogue();
        app.MapStChatWeb();
        try
        {
            return await HostRunner.RunAsync(app, logger,
                () => logger.LogInformation("{Command} is listening on {Urls}", command, string.Join(", ", app.Urls)), urls);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
