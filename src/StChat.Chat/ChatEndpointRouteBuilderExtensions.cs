using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace StChat.Chat;

public static class ChatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the chat WebSocket endpoints: <c>/</c> joins the default room, <c>/rooms/{room}</c> a named one.
    /// Adds the WebSocket middleware when <paramref name="endpoints"/> is also the application builder (WebApplication).
    /// </summary>
    public static IEndpointRouteBuilder MapStChatChat(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }

        var endpoint = endpoints.ServiceProvider.GetRequiredService<ChatEndpoint>();
        RequestDelegate lobby = context => endpoint.HandleAsync(context, room: null);
        RequestDelegate named = context => endpoint.HandleAsync(context, context.GetRouteValue("room") as string);
        endpoints.Map("/", lobby);
        endpoints.Map("/rooms/{room}", named);
        return endpoints;
    }
}
