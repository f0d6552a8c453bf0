# One image for every StChat process: the command (migrate, ingest, chat, serve, feeds) is the container's argument.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY config/ config/
COPY web/ web/
COPY src/ src/
RUN dotnet publish src/StChat.Server/StChat.Server.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Inside a container the chat server, and ingest's health and metrics listener, must listen on every interface;
# compose and `docker run -e` can still override.
ENV Chat__Url=http://0.0.0.0:8888 \
    Ingest__Url=http://0.0.0.0:8900 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8888 8900
USER $APP_UID
ENTRYPOINT ["dotnet", "StChat.Server.dll"]
CMD ["help"]
