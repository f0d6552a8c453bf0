using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Chat;

namespace StChat.Server.Commands;

internal static class ChatCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args).ConfigureStChat(args);
        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = builder.Configuration[$"{ChatOptions.SectionName}:Url"] ?? ChatOptions.DefaultUrl;
        }

        builder.WebHost.UseUrls(urls);

        WebApplication app;
        try
        {
            builder.Services.AddStChatChat(builder.Configuration);
            app = builder.Build();
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"chat: {e.Message}");
            return 1;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StChat.Chat");
        app.MapStChatChat();
        app.MapStChatWeb();
        try
        {
            // SIGTERM and Ctrl-C stop the host gracefully: exit events are stored, clients get 1001, exit code 0.
            await app.StartAsync();
            logger.LogInformation("Chat is listening on {Urls}", string.Join(", ", app.Urls));
            await app.WaitForShutdownAsync();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            logger.LogError("Invalid Chat configuration: {Errors}", string.Join(" ", e.Failures));
            return 1;
        }
        catch (IOException e)
        {
            logger.LogError("Chat cannot listen on {Urls}: {Error}", urls, e.Message);
            return 1;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
