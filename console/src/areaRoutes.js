// Every console/src/routes/*.js exports default [{path, component, meta: {title, menu, roles}}]; collected here
// (the router mounts them under the shell, the shell builds its menu from their meta).
const modules = import.meta.glob('./routes/*.js', { eager: true })

export const areaRoutes = Object.keys(modules)
  .sort()
  .flatMap((k) => modules[k].default || [])
