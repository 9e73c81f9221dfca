import { createApp } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
import App from './App.vue'
import DocumentList from './views/DocumentList.vue'
import ReadView from './views/ReadView.vue'
import EditorView from './views/EditorView.vue'
import InboxView from './views/InboxView.vue'
import DeskView from './views/DeskView.vue'
import SearchView from './views/SearchView.vue'
import TrashView from './views/TrashView.vue'
import './style.css'

// Hash history: the app is served from tauri://localhost/index.html with no server-side routing.
const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'list', component: DocumentList },
    { path: '/inbox', name: 'inbox', component: InboxView },
    { path: '/desk', name: 'desk', component: DeskView },
    { path: '/trash', name: 'trash', component: TrashView },
    { path: '/search', name: 'search', component: SearchView, props: (route) => ({ q: String(route.query.q ?? '') }) },
    { path: '/doc/:id', name: 'read', component: ReadView, props: true },
    { path: '/doc/:id/edit', name: 'edit', component: EditorView, props: true },
  ],
})

createApp(App).use(router).mount('#app')
