using StChat.Catalogue;
using StChat.Chat;

namespace StChat.Server.Commands;

internal static class ChatCommand
{
    public static Task<int> RunAsync(string[] args) =>
        WebHostCommand.RunAsync("chat", args, (services, configuration) =>
        {
            services.AddStChatChat(configuration);
            services.AddStChatCatalogue(configuration);
        });
}
